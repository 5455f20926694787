package io.gatehouse.dataplane.telemetry;

import io.helidon.http.Method;

/** Low-cardinality label values: HTTP status classes and request methods. */
final class StatusClass {

    private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
            "CONNECT", "_OTHER"};

    private StatusClass() {
    }

    static int index(int status) {
        int i = status / 100 - 1;
        return i < 0 || i > 4 ? 4 : i;
    }

    static String label(int status) {
        return CLASSES[index(status)];
    }

    static int methodIndex(Method method) {
        String text = method.text();
        for (int i = 0; i < METHODS.length - 1; i++) {
            if (METHODS[i].equals(text)) {
                return i;
            }
        }
        return METHODS.length - 1;
    }
}
