package io.strata.conformance;

/** The suite against Strata on its default filesystem storage, in this JVM. */
class StrataFilesystemConformanceTest extends ConformanceSuite {
    @Override
    protected RegistryTarget startTarget() throws Exception {
        return Targets.strata("filesystem");
    }
}
