package io.strata.conformance;

/** The suite against Strata on S3 (S3Proxy, a real S3 server in this JVM). */
class StrataS3ConformanceTest extends ConformanceSuite {
    @Override
    protected RegistryTarget startTarget() throws Exception {
        return Targets.strata("s3");
    }
}
