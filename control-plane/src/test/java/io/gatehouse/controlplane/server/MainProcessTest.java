package io.gatehouse.controlplane.server;

import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Main} as a real process: exit codes and messages an operator sees. */
class MainProcessTest {

    private record Result(int exitCode, String stderr) {
    }

    private static Result run(String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("control plane process did not exit");
        }
        return new Result(process.exitValue(), stderr);
    }

    @Test
    void exitsWithCode1AndAClearMessageWhenTheDatabaseIsUnreachable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        TlsFiles tls = TestPki.shared().controlPlane();
        Result result = run("--db-url", "jdbc:postgresql://127.0.0.1:" + closedPort + "/gatehouse", "--port", "0",
                "--tls-cert", tls.certificate().toString(), "--tls-key", tls.privateKey().toString(),
                "--tls-ca", tls.trustedCa().toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).contains("gatehouse-control-plane: cannot connect to the database at "
                + "jdbc:postgresql://127.0.0.1:" + closedPort + "/gatehouse");
    }

    @Test
    void refusesToStartWithoutTlsFilesUnlessPlaintextIsAskedFor() throws Exception {
        Result result = run("--port", "0");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr()).contains("mutual TLS needs --tls-cert, --tls-key and --tls-ca")
                .contains("--insecure-plaintext");
    }

    @Test
    void exitsWithCode2OnAnUnknownFlag() throws Exception {
        Result result = run("--colour", "blue");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr()).contains("unknown option '--colour'").contains("usage:");
    }
}
