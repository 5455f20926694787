package io.gatehouse.dataplane.policy.grpc;

import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;

import java.util.Locale;

/** Whether a request is gRPC by its content type: {@code application/grpc} or {@code application/grpc+...}. */
public final class GrpcContentType {

    private GrpcContentType() {
    }

    public static boolean is(Headers headers) {
        String type = headers.first(HeaderNames.CONTENT_TYPE).orElse("").toLowerCase(Locale.ROOT);
        return type.equals("application/grpc") || type.startsWith("application/grpc+")
                || type.startsWith("application/grpc;");
    }
}
