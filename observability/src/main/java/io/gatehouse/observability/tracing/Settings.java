package io.gatehouse.observability.tracing;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a setting the way OpenTelemetry autoconfigure resolves its properties, so a process decides
 * what the SDK will see: an override (tests, flags), else a {@code -D} system property, else the
 * environment variable ({@code otel.traces.exporter} -> {@code OTEL_TRACES_EXPORTER}). Gatehouse's own
 * telemetry switches ({@code gatehouse.access.log} -> {@code GATEHOUSE_ACCESS_LOG}) follow the same
 * rule. Stateless.
 */
public final class Settings {

    private Settings() {
    }

    /** The value of {@code name} (dotted, lower case), trimmed; empty when unset or blank. */
    public static Optional<String> get(Map<String, String> overrides, String name) {
        String value = overrides.get(name);
        if (value == null) {
            value = System.getProperty(name);
        }
        if (value == null) {
            value = System.getenv(name.toUpperCase(Locale.ROOT).replace('.', '_'));
        }
        return Optional.ofNullable(value).map(String::trim).filter(v -> !v.isEmpty());
    }
}
