package io.gatehouse.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes small config files for tests. Each {@code name} gives distinct content (a new version). */
final class ConfigFiles {

    private ConfigFiles() {
    }

    /**
     * One upstream {@code <name>-api} and one route {@code <name>} on {@code /<name>} pointing at it;
     * the targets are on loopback, so the config allows loopback.
     */
    static String valid(String name, String upstream) {
        return """
                upstreams:
                  - name: %2$s
                    targets:
                      - url: http://127.0.0.1:9001
                  - name: spare
                    targets:
                      - url: http://127.0.0.1:9002
                routes:
                  - id: %1$s
                    match:
                      pathPrefix: /%1$s
                    upstream: %2$s
                    timeouts:
                      request: 5s
                settings:
                  upstreamPolicy:
                    allowLoopback: true
                """.formatted(name, upstream);
    }

    static String valid(String name) {
        return valid(name, name + "-api");
    }

    /** Three independent problems: unknown upstream, duplicate route id, bad target URL. */
    static String invalid() {
        return """
                upstreams:
                  - name: api
                    targets:
                      - url: ftp://example.com
                routes:
                  - id: users
                    match:
                      pathPrefix: /users
                    upstream: nowhere
                  - id: users
                    match:
                      pathPrefix: /orders
                    upstream: api
                """;
    }

    static Path write(Path dir, String fileName, String content) {
        try {
            return Files.writeString(dir.resolve(fileName), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The config a YAML text stands for; fails the test if it does not parse. */
    static io.gatehouse.proto.config.v1.GatewayConfig parse(String yaml) {
        try {
            return io.gatehouse.config.ConfigDocuments.fromYaml(yaml);
        } catch (io.gatehouse.config.ConfigFormatException e) {
            throw new AssertionError(e);
        }
    }
}
