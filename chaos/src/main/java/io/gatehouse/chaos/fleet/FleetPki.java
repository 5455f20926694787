package io.gatehouse.chaos.fleet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Certificates, the secrets' key-encryption key and the bootstrap admin token of one fleet, made
 * with the operator's own CLI the way scripts/demo.sh makes them: secure by default, nothing
 * plaintext, no shortcut the product does not offer.
 */
public final class FleetPki {

    private final Path dir;

    private FleetPki(Path dir) {
        this.dir = dir;
    }

    /** A CA, the control plane certificate (127.0.0.1), one certificate per data plane, a KEK and a token. */
    public static FleetPki create(Path dir, List<String[]> dataPlanes) throws IOException {
        Cli cli = new Cli(java.util.Map.of("GATEHOUSE_PKI_DIR", dir.toString(), "HOME", dir.toString()));
        cli.runOrFail("certs", "init");
        cli.runOrFail("certs", "issue", "control-plane", "--dns", "localhost", "--ip", "127.0.0.1");
        for (String[] nodeAndRegion : dataPlanes) {
            cli.runOrFail("certs", "issue", "data-plane", "--node", nodeAndRegion[0], "--region", nodeAndRegion[1]);
        }
        cli.runOrFail("kek", "create", dir.resolve("kek.json").toString());
        String token = cli.runOrFail("tokens", "generate").out().trim();
        Path tokenFile = dir.resolve("bootstrap.token");
        Files.createFile(tokenFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokenFile, token + "\n");
        return new FleetPki(dir);
    }

    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    public Path kek() {
        return dir.resolve("kek.json");
    }

    public Path bootstrapToken() {
        return dir.resolve("bootstrap.token");
    }
}
