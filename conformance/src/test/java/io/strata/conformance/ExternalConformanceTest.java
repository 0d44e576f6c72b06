package io.strata.conformance;

import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The suite against any registry: {@code ./mvnw -pl conformance -am verify -Dregistry.url=http://host:port}. */
@EnabledIfSystemProperty(named = "registry.url", matches = ".+")
class ExternalConformanceTest extends ConformanceSuite {
    @Override
    protected RegistryTarget startTarget() {
        return Targets.external(System.getProperty("registry.url"));
    }
}
