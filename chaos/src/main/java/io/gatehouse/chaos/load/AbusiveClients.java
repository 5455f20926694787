package io.gatehouse.chaos.load;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * Clients that misbehave on purpose, each started against a data plane's traffic port and stopped
 * with {@link #close()}: slowloris, idle connections, and a closed-loop flood. (Oversized headers
 * are an {@link OpenLoopLoad} with a big header, so they are counted like any other stream.)
 */
public sealed interface AbusiveClients extends AutoCloseable {

    /** One line for the results: what it did and what the server did to it. */
    String summary();

    @Override
    void close();

    /**
     * Opens connections and sends a request's headers one line per second, never finishing them
     * (slowloris): each connection holds a server resource for as long as the server lets it.
     */
    static AbusiveClients slowloris(int port, int connections) {
        return new Slowloris(port, connections);
    }

    /** Opens connections and sends nothing. */
    static AbusiveClients idle(int port, int connections) {
        return new Idle(port, connections);
    }

    /** {@code threads} clients each sending the next request as soon as the last one is answered. */
    static AbusiveClients flood(URI url, int threads) {
        return new Flood(url, threads);
    }

    /** Shared by slowloris and idle: connect many sockets, keep them, count those the server closed. */
    abstract sealed class Holder implements AbusiveClients permits Slowloris, Idle {
        static final int SAMPLE = 200;
        final List<Socket> sockets = new CopyOnWriteArrayList<>();
        final LongAdder refused = new LongAdder();
        volatile boolean running = true;

        void open(int port, int connections) {
            for (int i = 0; i < connections && running; i++) {
                Socket socket = new Socket();
                try {
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                    sockets.add(socket);
                } catch (IOException e) {
                    refused.increment();
                }
            }
        }

        /**
         * Of up to {@value #SAMPLE} sockets spread over all of them, how many the server has closed (a
         * read returns EOF or fails); each open one costs a 1 ms read timeout, so 10k are sampled.
         */
        String closedByServer() {
            long closed = 0;
            int step = Math.max(1, sockets.size() / SAMPLE);
            int checked = 0;
            for (int i = 0; i < sockets.size(); i += step) {
                Socket socket = sockets.get(i);
                checked++;
                try {
                    socket.setSoTimeout(1);
                    if (socket.getInputStream().read() < 0) {
                        closed++;
                    }
                } catch (java.net.SocketTimeoutException e) {
                    // still open, nothing to read
                } catch (IOException e) {
                    closed++;
                }
            }
            return closed + " of " + checked + " checked";
        }

        @Override
        public void close() {
            running = false;
            for (Socket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing our own abuse
                }
            }
        }
    }

    final class Slowloris extends Holder {
        private final Thread dripper;

        Slowloris(int port, int connections) {
            dripper = Thread.ofVirtual().name("slowloris").start(() -> {
                open(port, connections);
                byte[] start = "GET /api/slow HTTP/1.1\r\nHost: chaos\r\n".getBytes(StandardCharsets.US_ASCII);
                byte[] line = "X-Slow: 1\r\n".getBytes(StandardCharsets.US_ASCII);
                sockets.forEach(s -> send(s, start));
                while (running) {
                    sockets.forEach(s -> send(s, line));
                    try {
                        Thread.sleep(1000); // one header line per second per connection: the attack's pace
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        private static void send(Socket socket, byte[] bytes) {
            try {
                OutputStream out = socket.getOutputStream();
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                // closed by the server: counted by closedByServer()
            }
        }

        @Override
        public String summary() {
            return "slowloris: " + sockets.size() + " connections; closed by the DP: " + closedByServer() + "; "
                    + refused.sum() + " refused";
        }

        @Override
        public void close() {
            super.close();
            dripper.interrupt();
        }
    }

    final class Idle extends Holder {
        private final Thread opener;

        Idle(int port, int connections) {
            opener = Thread.ofVirtual().name("idle-connections").start(() -> open(port, connections));
        }

        @Override
        public String summary() {
            return "idle: " + sockets.size() + " connections; closed by the DP: " + closedByServer() + "; "
                    + refused.sum() + " refused";
        }

        @Override
        public void close() {
            super.close();
            opener.interrupt();
        }
    }

    final class Flood implements AbusiveClients {
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        private final LongAdder answered = new LongAdder();
        private final LongAdder rejected = new LongAdder();
        private final List<Thread> threads = new CopyOnWriteArrayList<>();
        private final long start = System.nanoTime();
        private volatile boolean running = true;

        Flood(URI url, int count) {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(3)).build();
            for (int i = 0; i < count; i++) {
                threads.add(Thread.ofVirtual().name("flood").start(() -> {
                    while (running) {
                        try {
                            int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                            (status < 400 ? answered : rejected).increment();
                        } catch (IOException e) {
                            rejected.increment();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
        }

        @Override
        public String summary() {
            double seconds = Math.max(0.001, (System.nanoTime() - start) / 1e9);
            return String.format("flood: %d clients, %.0f req/s answered, %d rejected or failed", threads.size(),
                    answered.sum() / seconds, rejected.sum());
        }

        @Override
        public void close() {
            running = false;
            threads.forEach(Thread::interrupt);
            client.shutdownNow();
        }
    }
}
