package io.gatehouse.dataplane.server;

import io.gatehouse.config.ConfigDefaults;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.proto.config.v1.Http2Settings;

import java.time.Duration;

/**
 * The HTTP/2 limits of the client listeners ({@code settings.http2}), compiled with each snapshot
 * and read when an HTTP/2 connection opens: a new snapshot applies to connections opened after it
 * is in force (SETTINGS are announced once per connection).
 *
 * @param maxConcurrentStreams  SETTINGS_MAX_CONCURRENT_STREAMS
 * @param maxHeaderListSize     SETTINGS_MAX_HEADER_LIST_SIZE, bytes
 * @param initialWindowSize     SETTINGS_INITIAL_WINDOW_SIZE, bytes
 * @param maxFrameSize          SETTINGS_MAX_FRAME_SIZE, bytes
 * @param maxRapidResets        client resets of unanswered streams per {@code rapidResetPeriod}
 * @param rapidResetPeriod      the rapid-reset counting window
 * @param maxContinuationFrames CONTINUATION frames allowed in one header block
 * @param maxEmptyFrames        consecutive empty DATA frames allowed
 */
public record Http2Limits(int maxConcurrentStreams, int maxHeaderListSize, int initialWindowSize, int maxFrameSize,
                          int maxRapidResets, Duration rapidResetPeriod, int maxContinuationFrames,
                          int maxEmptyFrames) {

    /** The built-in limits (config.proto, {@link ConfigDefaults}). */
    public static final Http2Limits DEFAULTS = of(Http2Settings.getDefaultInstance());

    /** Gateway-wide part of a compiled snapshot; {@link #DEFAULTS} before any snapshot. */
    static final Parts.Key<Http2Limits> KEY = Parts.Key.of("server.http2", DEFAULTS);

    /** Compiles {@code settings.http2}; a value out of range refuses the snapshot (as the control plane would). */
    public static final PolicyCompiler COMPILER = (snapshot, gateway, routes) ->
            gateway.put(KEY, checked(of(snapshot.getConfig().getSettings().getHttp2())));

    /** The limits of {@code snapshot}; the defaults when there is none yet. */
    public static Http2Limits of(io.gatehouse.dataplane.snapshot.CompiledSnapshot snapshot) {
        return snapshot == null ? DEFAULTS : snapshot.parts().get(KEY);
    }

    /** {@code settings}, each 0 replaced by its default; not range-checked. */
    public static Http2Limits of(Http2Settings settings) {
        return new Http2Limits(
                orDefault(settings.getMaxConcurrentStreams(), ConfigDefaults.HTTP2_MAX_CONCURRENT_STREAMS),
                orDefault(settings.getMaxHeaderListSize(), ConfigDefaults.HTTP2_MAX_HEADER_LIST_SIZE),
                orDefault(settings.getInitialWindowSize(), ConfigDefaults.HTTP2_INITIAL_WINDOW_SIZE),
                orDefault(settings.getMaxFrameSize(), ConfigDefaults.HTTP2_MAX_FRAME_SIZE),
                orDefault(settings.getMaxRapidResets(), ConfigDefaults.HTTP2_MAX_RAPID_RESETS),
                settings.hasRapidResetPeriod()
                        ? Duration.ofSeconds(settings.getRapidResetPeriod().getSeconds(),
                        settings.getRapidResetPeriod().getNanos())
                        : ConfigDefaults.HTTP2_RAPID_RESET_PERIOD,
                orDefault(settings.getMaxContinuationFrames(), ConfigDefaults.HTTP2_MAX_CONTINUATION_FRAMES),
                orDefault(settings.getMaxEmptyFrames(), ConfigDefaults.HTTP2_MAX_EMPTY_FRAMES));
    }

    private static Http2Limits checked(Http2Limits limits) {
        // Unsigned proto values above 2^31 arrive negative: refused like any other out-of-range value.
        check("maxConcurrentStreams", limits.maxConcurrentStreams, 1, 1000);
        check("maxHeaderListSize", limits.maxHeaderListSize, 1024, 1024 * 1024);
        check("initialWindowSize", limits.initialWindowSize, 65_535, 16 * 1024 * 1024);
        check("maxFrameSize", limits.maxFrameSize, 16_384, 16_777_215);
        check("maxRapidResets", limits.maxRapidResets, 1, 10_000);
        check("maxContinuationFrames", limits.maxContinuationFrames, 1, 64);
        check("maxEmptyFrames", limits.maxEmptyFrames, 1, 1000);
        if (limits.rapidResetPeriod.compareTo(Duration.ofSeconds(1)) < 0
                || limits.rapidResetPeriod.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("settings.http2.rapidResetPeriod: must be between 1s and 1h, not "
                    + limits.rapidResetPeriod);
        }
        return limits;
    }

    private static void check(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("settings.http2." + field + ": must be " + min + ".." + max + ", not "
                    + Integer.toUnsignedString(value));
        }
    }

    private static int orDefault(int value, int fallback) {
        return value == 0 ? fallback : value;
    }
}
