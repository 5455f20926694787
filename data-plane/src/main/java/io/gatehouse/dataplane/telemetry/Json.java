package io.gatehouse.dataplane.telemetry;

/** A minimal JSON object writer for log lines (one allocation-light StringBuilder per line). */
final class Json {

    private final StringBuilder text = new StringBuilder(384).append('{');

    Json put(String name, String value) {
        if (value == null) {
            return this;
        }
        name(name);
        quote(value);
        return this;
    }

    Json put(String name, long value) {
        name(name);
        text.append(value);
        return this;
    }

    Json put(String name, double value) {
        name(name);
        text.append(value);
        return this;
    }

    private void name(String name) {
        if (text.length() > 1) {
            text.append(',');
        }
        text.append('"').append(name).append("\":");
    }

    private void quote(String value) {
        text.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> text.append("\\\"");
                case '\\' -> text.append("\\\\");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\t' -> text.append("\\t");
                default -> {
                    if (c < 0x20) {
                        text.append(String.format("\\u%04x", (int) c));
                    } else {
                        text.append(c);
                    }
                }
            }
        }
        text.append('"');
    }

    @Override
    public String toString() {
        return text + "}";
    }
}
