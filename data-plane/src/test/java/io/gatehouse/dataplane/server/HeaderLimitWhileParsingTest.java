package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configured header limit is enforced while the header section is read, not after the
 * listener's 1 MiB cap: a client that keeps sending header lines gets 431 as soon as it passes the
 * snapshot's {@code max_request_header_bytes}, while it is still sending and before it ends the
 * section — so no connection can make the data plane hold more header bytes than the operator
 * allowed. A raw socket sends the bytes and records the answer.
 */
class HeaderLimitWhileParsingTest {

    @RegisterExtension final Closer closer = new Closer();
    private ScriptedUpstream upstream;
    private DataPlane dataPlane;

    private void start(int maxHeaderBytes) throws Exception {
        upstream = closer.track(new ScriptedUpstream((request, connection) -> {
            connection.respond(200, "ok");
            return true;
        }));
        GatewayConfig base = Snapshots.config(upstream.url(), "/");
        GatewayConfig config = base.toBuilder()
                .setSettings(base.getSettings().toBuilder().setMaxRequestHeaderBytes(maxHeaderBytes))
                .build();
        Path stateDir = Files.createTempDirectory("header-limit");
        new LastKnownGoodStore(stateDir).write(Snapshots.snapshot(1, config));
        int deadControlPlane;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadControlPlane = socket.getLocalPort();
        }
        dataPlane = closer.track(DataPlane.start(new DataPlaneSettings("dp-header-limit", "", "127.0.0.1:" + deadControlPlane,
                        "127.0.0.1", 0, 0, stateDir, DataPlaneSettings.DEFAULT_MAX_ROUTES),
                Telemetry.create(Map.of("gatehouse.request.telemetry", "off", "gatehouse.access.log", "off"))));
    }

    @Test
    void anUnfinishedHeaderSectionOverTheConfiguredLimitIsAnswered431WhileTheClientIsStillSending() throws Exception {
        start(4096);
        try (Socket socket = new Socket("127.0.0.1", dataPlane.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /x HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.US_ASCII));
            // 16 KiB of header lines, and the section is never ended: with a parser cap of 1 MiB the
            // data plane would sit waiting for more; with the configured cap it answers now. It may
            // answer and close while these lines are still on their way: the unread rest then resets
            // the connection and a later write fails (broken pipe), which is the behaviour under test
            // — the answer already sent is still there to read.
            int written = 0;
            try {
                for (; written < 128; written++) {
                    out.write(("X-Fill-" + written + ": " + "f".repeat(110) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException closedWhileSending) {
                assertThat(written).as("header lines sent before the data plane closed").isGreaterThan(4096 / 120);
            }
            String answer = readAnswer(socket.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 431");
            assertThat(answer).contains("headers_too_large");
        }
        assertThat(upstream.requests()).isZero();
    }

    @Test
    void theParserFollowsTheSnapshotsLimitNotAFixedOne() throws Exception {
        start(64 * 1024);
        try (Socket socket = new Socket("127.0.0.1", dataPlane.port())) {
            socket.setSoTimeout(10_000);
            StringBuilder request = new StringBuilder("GET /x HTTP/1.1\r\nHost: a\r\n");
            for (int i = 0; i < 300; i++) { // ~36 KiB: over the 16 KiB default, under this snapshot's 64 KiB
                request.append("X-Fill-").append(i).append(": ").append("f".repeat(110)).append("\r\n");
            }
            request.append("Connection: close\r\n\r\n");
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
            assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 200");
        }
    }

    /** Reads until the connection closes or the head and a short body have arrived. */
    private static String readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                seen.write(buffer, 0, n);
                String text = seen.toString(StandardCharsets.US_ASCII);
                int head = text.indexOf("\r\n\r\n");
                if (head >= 0 && text.length() > head + 4 && text.endsWith("}") || text.endsWith("ok")) {
                    break;
                }
            }
        } catch (SocketTimeoutException e) {
            return seen.toString(StandardCharsets.US_ASCII) + "<timed out>";
        }
        return seen.toString(StandardCharsets.US_ASCII);
    }
}
