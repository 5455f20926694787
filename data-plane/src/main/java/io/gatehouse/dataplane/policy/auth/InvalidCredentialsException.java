package io.gatehouse.dataplane.policy.auth;

/**
 * Credentials that do not authenticate. The message is safe to send to the client: it names the
 * problem ("token expired"), never the token, key or claim values.
 */
final class InvalidCredentialsException extends Exception {

    InvalidCredentialsException(String message) {
        super(message, null, false, false);
    }
}
