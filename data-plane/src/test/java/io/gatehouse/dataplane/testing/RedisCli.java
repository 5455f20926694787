package io.gatehouse.dataplane.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** redis-cli as the Redis Cluster and Sentinel fixtures call it: output as text, bounded in time. */
final class RedisCli {

    private RedisCli() {
    }

    /** {@code redis-cli -p port args...}; "" when it cannot run (callers poll until they see what they wait for). */
    static String run(int port, String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        try {
            return command(command);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** Runs {@code command} (stderr with stdout) and returns its output; fails after 30 s. */
    static String command(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
