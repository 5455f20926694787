package io.gatehouse.dataplane.chain;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerResponse;

/**
 * The status and headers of the response about to be sent to the client, as seen by
 * response-header hooks ({@link Exchange#onResponseHeaders}).
 */
public final class ResponseHeaders {
    private final ServerResponse response;
    private final int status;

    public ResponseHeaders(ServerResponse response, int status) {
        this.response = response;
        this.status = status;
    }

    public int status() {
        return status;
    }

    public void set(String name, String value) {
        response.header(HeaderValues.create(HeaderNames.create(name), value));
    }

    public void add(String name, String value) {
        HeaderName header = HeaderNames.create(name);
        response.headers().add(HeaderValues.create(header, value));
    }

    public void remove(String name) {
        response.headers().remove(HeaderNames.create(name));
    }

    /** The first value of a header already set on the response, if any. */
    public java.util.Optional<String> first(String name) {
        return response.headers().first(HeaderNames.create(name));
    }

    public boolean contains(String name) {
        return response.headers().contains(HeaderNames.create(name));
    }
}
