package io.gatehouse.cli;

import picocli.CommandLine;

import java.util.Locale;

/** How results are printed: aligned tables/text for people, or JSON for scripts. */
public enum OutputFormat {
    TABLE,
    JSON;

    /** Accepts {@code table} and {@code json} in any case. */
    public static final class Converter implements CommandLine.ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            try {
                return OutputFormat.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not one of table, json");
            }
        }
    }
}
