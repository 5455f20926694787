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

    Result authenticate(AdminToken token);
}
