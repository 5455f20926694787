package io.gatehouse.cli;

import picocli.CommandLine;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads durations as operators write them: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 7d}, or
 * ISO-8601 ({@code PT10S}). Only positive durations are accepted.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        Duration duration = parse(value.trim());
        if (duration.isZero() || duration.isNegative()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a positive duration");
        }
        return duration;
    }

    private static Duration parse(String value) {
        Matcher m = SIMPLE.matcher(value);
        if (m.matches()) {
            long amount;
            try {
                amount = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is too large");
            }
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a duration (examples: 500ms, 10s, 2m, PT10S)");
        }
    }
}
