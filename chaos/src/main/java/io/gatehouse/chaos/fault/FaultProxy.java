package io.gatehouse.chaos.fault;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * A TCP proxy on a loopback port that injects a {@link Fault} into what it relays: in front of
 * Redis, PostgreSQL, an upstream, or (with several backends) the control plane replicas, where it
 * plays the load balancer a real deployment has (a Kubernetes Service): a new connection goes to the
 * next backend that accepts a TCP connect, round-robin. Like a real one it cannot tell a hung
 * backend (SIGSTOP: the kernel still accepts) from a healthy one.
 *
 * <p>Per connection one virtual thread reads each direction; a second one per direction writes, so
 * added latency is a delay line (every chunk leaves {@code delay} after it arrived) and not a
 * throughput limit. Thread-safe: {@link #fault(Fault)} may be called from any thread.
 */
public final class FaultProxy implements AutoCloseable {

    private static final int CHUNK = 16 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 1000;

    private final String name;
    private final List<Integer> backendPorts;
    private final ServerSocket listener;
    private final AtomicReference<Fault> fault = new AtomicReference<>(Fault.NONE);
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger next = new AtomicInteger();
    private final LongAdder accepted = new LongAdder();
    private volatile boolean closed;

    private FaultProxy(String name, List<Integer> backendPorts, ServerSocket listener) {
        this.name = name;
        this.backendPorts = List.copyOf(backendPorts);
        this.listener = listener;
    }

    /** Listens on an ephemeral loopback port and relays to 127.0.0.1:backendPort (or one of several). */
    public static FaultProxy start(String name, List<Integer> backendPorts) throws IOException {
        ServerSocket listener = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        FaultProxy proxy = new FaultProxy(name, backendPorts, listener);
        Thread.ofVirtual().name("proxy-" + name + "-accept").start(proxy::acceptLoop);
        return proxy;
    }

    public static FaultProxy start(String name, int backendPort) throws IOException {
        return start(name, List.of(backendPort));
    }

    public String name() {
        return name;
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted so far. */
    public long accepted() {
        return accepted.sum();
    }

    /** Puts {@code f} in force; {@link Fault.Reset} also resets every open connection now. */
    public void fault(Fault f) {
        fault.set(f);
        if (f instanceof Fault.Reset) {
            links.forEach(Link::reset);
        }
    }

    /** Back to relaying unchanged (open connections stay open). */
    public void heal() {
        fault(Fault.NONE);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("chaos: proxy " + name + " accept failed: " + e.getMessage());
                }
                return;
            }
            accepted.increment();
            Thread.ofVirtual().name("proxy-" + name + "-open").start(() -> open(client));
        }
    }

    private void open(Socket client) {
        if (fault.get() instanceof Fault.Reset) {
            resetQuietly(client);
            return;
        }
        Socket backend = connectBackend();
        if (backend == null) {
            resetQuietly(client); // nothing to relay to: refuse the way a dead port would
            return;
        }
        Link link = new Link(client, backend);
        links.add(link);
        link.start();
    }

    /** The next backend (round-robin) that accepts a connect, or null when none does. */
    private Socket connectBackend() {
        int first = Math.floorMod(next.getAndIncrement(), backendPorts.size());
        for (int i = 0; i < backendPorts.size(); i++) {
            int port = backendPorts.get((first + i) % backendPorts.size());
            Socket backend = new Socket();
            try {
                backend.setTcpNoDelay(true);
                backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MS);
                return backend;
            } catch (IOException e) {
                closeQuietly(backend);
            }
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        links.forEach(Link::close);
    }

    /** One proxied connection: client and backend sockets and the four threads relaying between them. */
    private final class Link {
        private final Socket client;
        private final Socket backend;

        Link(Socket client, Socket backend) {
            this.client = client;
            this.backend = backend;
        }

        void start() {
            try {
                client.setTcpNoDelay(true);
                relay(client.getInputStream(), backend.getOutputStream(), false);
                relay(backend.getInputStream(), client.getOutputStream(), true);
            } catch (IOException e) {
                close();
            }
        }

        /** A reader thread feeding a writer thread through a queue; an empty array marks the end. */
        private void relay(InputStream in, OutputStream out, boolean fromBackend) {
            BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
            Thread.ofVirtual().name("proxy-" + name + "-read").start(() -> {
                byte[] buffer = new byte[CHUNK];
                try {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        Fault f = fault.get();
                        if (f instanceof Fault.Reset) {
                            reset();
                            return;
                        }
                        if (f instanceof Fault.Blackhole) {
                            continue; // read and dropped: the peer sees silence
                        }
                        long delayNanos = fromBackend && f instanceof Fault.Latency latency ? latency.delay().toNanos() : 0;
                        queue.add(new Chunk(Arrays.copyOf(buffer, n), System.nanoTime() + delayNanos));
                    }
                } catch (IOException e) {
                    // the socket was closed or reset: end of this direction
                }
                queue.add(new Chunk(new byte[0], System.nanoTime()));
            });
            Thread.ofVirtual().name("proxy-" + name + "-write").start(() -> {
                try {
                    while (true) {
                        Chunk chunk = queue.take();
                        long wait = chunk.due() - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        if (chunk.bytes().length == 0) {
                            break;
                        }
                        write(out, chunk.bytes());
                    }
                } catch (IOException | InterruptedException e) {
                    // peer gone
                }
                close();
            });
        }

        private void write(OutputStream out, byte[] bytes) throws IOException, InterruptedException {
            if (!(fault.get() instanceof Fault.Bandwidth bandwidth)) {
                out.write(bytes);
                out.flush();
                return;
            }
            // Small slices, each followed by the time it takes at the allowed rate.
            int slice = (int) Math.max(1, Math.min(bytes.length, bandwidth.bytesPerSecond() / 20));
            for (int offset = 0; offset < bytes.length; offset += slice) {
                int length = Math.min(slice, bytes.length - offset);
                out.write(bytes, offset, length);
                out.flush();
                Thread.sleep(Math.max(1, length * 1000L / bandwidth.bytesPerSecond()));
            }
        }

        void reset() {
            resetQuietly(client);
            resetQuietly(backend);
            links.remove(this);
        }

        void close() {
            closeQuietly(client);
            closeQuietly(backend);
            links.remove(this);
        }
    }

    private record Chunk(byte[] bytes, long due) {
    }

    /** SO_LINGER 0 makes close() send RST instead of FIN: the peer sees "connection reset". */
    private static void resetQuietly(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing during teardown or after a reset: nothing left to do
        }
    }
}
