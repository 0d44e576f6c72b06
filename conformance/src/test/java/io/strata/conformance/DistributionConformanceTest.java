package io.strata.conformance;

/**
 * The suite against Debian's docker-registry (distribution 2.8.2, the reference registry), to
 * prove the suite honest: exactly the tests in {@link ExpectedFailures} fail there.
 */
class DistributionConformanceTest extends ConformanceSuite {
    @Override
    protected RegistryTarget startTarget() throws Exception {
        return Targets.distribution();
    }
}
