package io.strata.conformance;

import io.strata.registry.Http;

/** A registry under test: how to reach it, and how to stop it when the suite started it. */
interface RegistryTarget extends AutoCloseable {
    /** A short name for reports and the expected-failure list: strata-filesystem, strata-s3, distribution, external. */
    String name();

    /** A client for it, with credentials when it needs them. */
    Http http();

    @Override
    default void close() throws Exception {}
}
