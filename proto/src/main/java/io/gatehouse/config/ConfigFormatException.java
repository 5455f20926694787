package io.gatehouse.config;

/** A config document that cannot be read as a {@code GatewayConfig} (syntax, unknown key, wrong type). */
public final class ConfigFormatException extends Exception {
    public ConfigFormatException(String message) {
        super(message);
    }

    public ConfigFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
