package io.gatehouse.chaos.load;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What became of one request, as the client saw it: a status (with the gateway's error code for
 * errors, e.g. {@code 503 circuit_open}), or the way it failed without one.
 *
 * @param cause "2xx" for success; otherwise a short label used as the table's failure cause
 */
public record Outcome(String cause) {

    public static final Outcome OK = new Outcome("2xx");
    public static final Outcome CONNECT_ERROR = new Outcome("connect error");
    public static final Outcome TIMEOUT = new Outcome("client timeout");
    private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"([a-z_]+)\"");

    public boolean ok() {
        return this.equals(OK);
    }

    /** 2xx = OK; otherwise the status and, when the body is a gateway error, its code. */
    public static Outcome of(int status, String body) {
        if (status >= 200 && status < 300) {
            return OK;
        }
        Matcher m = CODE.matcher(body == null ? "" : body);
        return new Outcome(status + (m.find() ? " " + m.group(1) : ""));
    }

    /** Classifies a transport failure: connect refused/timed out, request timeout, or anything else (reset, EOF). */
    public static Outcome of(Throwable failure) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof HttpConnectTimeoutException || t instanceof ConnectException) {
            return CONNECT_ERROR;
        }
        if (t instanceof HttpTimeoutException) {
            return TIMEOUT;
        }
        if (t instanceof IOException) {
            String message = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
            return new Outcome(message.contains("reset") ? "connection reset" : "connection closed");
        }
        return new Outcome("client error " + t.getClass().getSimpleName());
    }
}
