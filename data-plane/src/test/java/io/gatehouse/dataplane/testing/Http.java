package io.gatehouse.dataplane.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Small blocking HTTP helpers for tests (JDK client, loopback). */
public final class Http {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    /** A response with its body parsed as JSON when it is JSON (else a text node). */
    public record Json(int status, JsonNode body, HttpResponse<String> raw) {
    }

    private Http() {
    }

    public static HttpResponse<String> get(int port, String path) {
        try {
            return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Json getJson(int port, String path) {
        HttpResponse<String> response = get(port, path);
        try {
            return new Json(response.statusCode(), JSON.readTree(response.body()), response);
        } catch (IOException e) {
            return new Json(response.statusCode(), JSON.getNodeFactory().textNode(response.body()), response);
        }
    }
}
