package io.gatehouse.dataplane.request;

/**
 * A request target (path, authority or Host) that cannot be interpreted unambiguously; the message
 * is safe to show the client. Thrown for hostile input, so it carries no stack trace.
 */
public final class BadRequestTargetException extends Exception {

    private final boolean byRule;

    public BadRequestTargetException(String message) {
        this(message, false);
    }

    /** @param byRule whether a {@link PathRules} setting refused it (another setting could accept it) */
    BadRequestTargetException(String message, boolean byRule) {
        super(message, null, false, false);
        this.byRule = byRule;
    }

    /**
     * Whether the target was refused by a {@link PathRules} setting (';' parameters, an encoded
     * separator, '//') rather than for being malformed: a route with its own rules may accept it.
     */
    public boolean byRule() {
        return byRule;
    }
}
