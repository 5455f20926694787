package io.gatehouse.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.gatehouse.proto.admin.v1.ValidationError;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The shared output formatter of every subcommand: results go to {@code out} (as text/tables or
 * as JSON or YAML, per {@link OutputFormat}), problems go to {@code err} as plain text whatever the
 * format, so {@code gatehouse -o json ... | jq} never sees an error message.
 *
 * <p>JSON is the proto3 JSON mapping of the response message (int64 fields are strings,
 * timestamps RFC 3339), including fields that hold their default value, so scripts see
 * {@code "connected": false} rather than a missing key. One instance per command run.
 */
public final class Output {

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
    private static final JsonFormat.Printer JSON = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON_TREE = new com.fasterxml.jackson.databind.ObjectMapper();
    // No "---" document marker, and block style: the output reads like the config files it describes.
    private static final com.fasterxml.jackson.databind.ObjectMapper YAML = new com.fasterxml.jackson.databind.ObjectMapper(
            com.fasterxml.jackson.dataformat.yaml.YAMLFactory.builder()
                    .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    // int64 fields are JSON strings ("42"); keep them strings in YAML too.
                    .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .build());

    private final PrintWriter out;
    private final PrintWriter err;
    private final OutputFormat format;
    private final Clock clock;

    public Output(PrintWriter out, PrintWriter err, OutputFormat format, Clock clock) {
        this.out = out;
        this.err = err;
        this.format = format;
        this.clock = clock;
    }

    /** Now, by this output's clock (the one {@link #ago} measures against). */
    public java.time.Instant now() {
        return clock.instant();
    }

    /** True for the formats that print whole response messages (JSON, YAML) rather than tables. */
    public boolean isStructured() {
        return format == OutputFormat.JSON || format == OutputFormat.YAML;
    }

    /** A line of the result on stdout. */
    public void line(String text) {
        out.println(text);
        out.flush();
    }

    /** A problem on stderr. */
    public void error(String text) {
        err.println(text);
        err.flush();
    }

    /**
     * A message on stdout as proto3 JSON, or as YAML: the same JSON document re-serialized by
     * Jackson, so field names, int64-as-string and timestamps are identical in both formats and a
     * script can switch between them without a mapping table.
     */
    public void structured(MessageOrBuilder message) {
        String json;
        try {
            json = JSON.print(message);
        } catch (InvalidProtocolBufferException e) {
            // Only Any fields with unknown types can fail; the admin API has none.
            throw new IllegalStateException(e);
        }
        if (format == OutputFormat.YAML) {
            try {
                out.print(YAML.writeValueAsString(JSON_TREE.readTree(json)));
                out.flush();
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("re-serializing the response as YAML failed", e);
            }
        } else {
            line(json);
        }
    }

    public void table(Table table) {
        table.lines().forEach(out::println);
        out.flush();
    }

    /** Validation errors on stderr, one {@code path: reason} per line. */
    public void validationErrors(List<ValidationError> errors) {
        for (ValidationError e : errors) {
            err.println((e.getPath().isEmpty() ? "(config)" : e.getPath()) + ": " + e.getReason());
        }
        err.flush();
    }

    /** Warnings of a validate or apply (e.g. an expiring certificate), one "warning: path: reason" line each. */
    public void validationWarnings(List<ValidationError> warnings) {
        for (ValidationError w : warnings) {
            err.println("warning: " + (w.getPath().isEmpty() ? "(config)" : w.getPath()) + ": " + w.getReason());
        }
        err.flush();
    }

    /** First 8 hex digits of a SHA-256, enough to tell versions apart at a glance. */
    public static String shortSha(String sha256) {
        return sha256.length() <= 8 ? sha256 : sha256.substring(0, 8);
    }

    /** UTC wall-clock time, e.g. {@code 2026-11-25 18:47:22Z}; "-" when unset. */
    public static String timestamp(Timestamp ts) {
        return isUnset(ts) ? "-" : TIMESTAMP.format(toInstant(ts));
    }

    /** Time since {@code ts}, e.g. {@code 3s ago}, {@code 5m ago}; "never" when unset. */
    public String ago(Timestamp ts) {
        if (isUnset(ts)) {
            return "never";
        }
        Duration age = Duration.between(toInstant(ts), clock.instant());
        if (age.isNegative()) {
            // The control plane's clock is ahead of ours; "0s ago" reads better than "-2s ago".
            age = Duration.ZERO;
        }
        if (age.toSeconds() < 60) {
            return age.toSeconds() + "s ago";
        } else if (age.toMinutes() < 60) {
            return age.toMinutes() + "m ago";
        } else if (age.toHours() < 48) {
            return age.toHours() + "h ago";
        }
        return age.toDays() + "d ago";
    }

    private static boolean isUnset(Timestamp ts) {
        return ts.getSeconds() == 0 && ts.getNanos() == 0;
    }

    private static Instant toInstant(Timestamp ts) {
        return Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
    }
}
