package io.strata.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The section of the distribution spec (../shared/specs/distribution-spec/spec.md) a test checks. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface Spec {
    String value();
}
