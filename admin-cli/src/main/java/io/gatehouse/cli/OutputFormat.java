package io.gatehouse.cli;

import picocli.CommandLine;

import java.util.Locale;

/**
 * How results are printed: aligned tables/text for people, or JSON or YAML for scripts and for
 * people who keep results in files (YAML is the JSON document re-serialized, same field names).
 */
public enum OutputFormat {
    TABLE,
    JSON,
    YAML;

    /** Accepts {@code table}, {@code json} and {@code yaml} in any case. */
    public static final class Converter implements CommandLine.ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            try {
                return OutputFormat.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not one of table, json, yaml");
            }
        }
    }

    /** The names shell completion offers, as typed: lower case. */
    public static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(values()).map(f -> f.name().toLowerCase(Locale.ROOT)).iterator();
        }
    }
}
