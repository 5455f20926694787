package io.gatehouse.chaos.fault;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fault proxy against an echo server on loopback: each fault does what its name says. */
class FaultProxyTest {

    private ServerSocket echo;
    private FaultProxy proxy;

    @BeforeEach
    void startEchoServerBehindProxy() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException e) {
                            // the test closed or reset it
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        proxy = FaultProxy.start("echo", echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    @Test
    void relaysUnchangedWithoutAFault() throws IOException {
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "hello")).isEqualTo("hello");
        }
    }

    @Test
    void latencyDelaysEveryAnswerOnOpenConnections() throws IOException {
        try (Socket client = connect()) {
            roundTrip(client, "warm");
            proxy.fault(Fault.latency(Duration.ofMillis(300)));
            long start = System.nanoTime();
            assertThat(roundTrip(client, "slow")).isEqualTo("slow");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        }
    }

    @Test
    void blackholeAnswersNothing() throws IOException {
        proxy.fault(Fault.blackhole());
        try (Socket client = connect()) {
            client.setSoTimeout(300);
            client.getOutputStream().write("anyone?".getBytes(StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void resetSendsRstOnOpenConnections() throws IOException {
        try (Socket client = connect()) {
            roundTrip(client, "before");
            proxy.fault(Fault.reset());
            client.setSoTimeout(2000);
            assertThatThrownBy(() -> {
                client.getOutputStream().write("after".getBytes(StandardCharsets.US_ASCII));
                if (client.getInputStream().read() < 0) {
                    throw new SocketException("closed without a reset");
                }
            }).isInstanceOf(SocketException.class); // "Connection reset" (or "Broken pipe" if the write sees it first)
        }
    }

    @Test
    void bandwidthLimitsBytesPerSecond() throws IOException {
        proxy.fault(Fault.bandwidth(10_000));
        try (Socket client = connect()) {
            long start = System.nanoTime();
            assertThat(roundTrip(client, "x".repeat(10_000))).hasSize(10_000);
            // 10 kB up and 10 kB down at 10 kB/s each way, pipelined: at least a second
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        }
    }

    @Test
    void balancerSkipsABackendThatRefusesConnections() throws IOException {
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = gone.getLocalPort();
        }
        try (FaultProxy balancer = FaultProxy.start("balancer", List.of(closedPort, echo.getLocalPort()));
             Socket client = new Socket(InetAddress.getLoopbackAddress(), balancer.port())) {
            assertThat(roundTrip(client, "via the live one")).isEqualTo("via the live one");
        }
    }

    private Socket connect() throws IOException {
        return new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    }

    private static String roundTrip(Socket client, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        client.getOutputStream().write(bytes);
        client.getOutputStream().flush();
        return new String(client.getInputStream().readNBytes(bytes.length), StandardCharsets.US_ASCII);
    }
}
