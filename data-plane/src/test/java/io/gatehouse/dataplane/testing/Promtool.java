package io.gatehouse.dataplane.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code promtool check metrics} (Debian package prometheus) on a Prometheus text exposition. */
public final class Promtool {

    /** The exit code and combined output of one check. */
    public record Result(int exitCode, String output) {
    }

    private Promtool() {
    }

    /** Runs the check on {@code exposition}. */
    public static Result check(String exposition) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("promtool did not finish within 30 s");
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Fails unless promtool accepts {@code exposition} (lint warnings included); {@code what} names it. */
    public static void assertAccepts(String what, String exposition) throws IOException, InterruptedException {
        Result result = check(exposition);
        assertThat(result.exitCode()).as(what + " metrics rejected by promtool: " + result.output()
                + "\n" + exposition).isZero();
    }
}
