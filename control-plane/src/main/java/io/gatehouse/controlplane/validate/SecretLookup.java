package io.gatehouse.controlplane.validate;

import java.util.Optional;

/**
 * The secrets validation may look at: whether a named secret exists, and its value for checks of
 * what it must hold (a JWKS document for {@code jwksSecret}). Values are used for checking only and
 * never appear in a problem's text.
 */
@FunctionalInterface
public interface SecretLookup {

    /** No secret exists (a control plane without secrets, or a config checked on its own). */
    SecretLookup NONE = name -> Optional.empty();

    /** The value of {@code name}, or empty when there is no such secret. */
    Optional<byte[]> value(String name);
}
