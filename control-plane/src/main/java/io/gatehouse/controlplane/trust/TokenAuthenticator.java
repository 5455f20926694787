package io.gatehouse.controlplane.trust;

import io.gatehouse.pki.AdminToken;

/**
 * Checks a presented admin token against the stored ones (implemented by the token store). Called
 * once per admin call, on the call's virtual thread; may block on the database.
 */
@FunctionalInterface
public interface TokenAuthenticator {

    /** The outcome: the token's name and role, or why it is refused. */
    sealed interface Result {
    }

    record Valid(String tokenId, String name, Role role) implements Result {
    }

    record Refused(AccessRefusal reason) implements Result {
    }

    /** Refuses every token (a control plane without a token store). */
    TokenAuthenticator NONE = token -> new Refused(AccessRefusal.INVALID_TOKEN);

    /**
     * @throws StoreUnavailable when the tokens cannot be read (the database is down): the caller is
     *                          neither accepted nor refused, it should hear UNAVAILABLE and retry
     */
    Result authenticate(AdminToken token);

    /** The token store could not be read; not a statement about the token. */
    final class StoreUnavailable extends RuntimeException {
        public StoreUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
