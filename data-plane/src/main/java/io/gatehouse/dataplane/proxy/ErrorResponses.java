package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.GatewayError;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;

/**
 * Writes gateway error responses: {@code {"error":code,"message":...,"requestId":...}} as
 * {@code application/json}. Never includes exception details beyond the message. Thread-safe.
 */
public final class ErrorResponses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorResponses() {
    }

    /** The JSON body for an error. */
    public static byte[] body(GatewayError error, String message, String requestId) {
        ObjectNode node = JSON.createObjectNode()
                .put("error", error.code())
                .put("message", message)
                .put("requestId", requestId);
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Sends the error as the whole response. */
    public static void send(ServerResponse response, GatewayError error, String message, String requestId) {
        response.status(error.status());
        response.header(HeaderNames.CONTENT_TYPE, "application/json");
        response.header(ProxyHeaders.X_REQUEST_ID, requestId);
        response.send(body(error, message, requestId));
    }
}
