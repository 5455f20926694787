package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.policy.websocket.WebSocketSettings;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.http.Headers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One open WebSocket connection after the upstream's {@code 101}: the bytes of the client
 * connection and of the upstream socket relayed both ways, untouched, until either side closes,
 * the idle timeout or the maximum lifetime passes, or the gateway drains ({@link #close}). A close
 * of the gateway's own sends each side a close frame (RFC 6455 §5.5.1) where that side's stream is
 * between frames ({@link WebSocketFrames}), then ends both connections.
 *
 * <p>Threads: {@link #run} is the client connection's thread (reads the client, writes upstream);
 * one virtual thread reads the upstream and writes the client; one watches the timeouts. Writes to
 * each side are serialized by that side's lock. Memory: one read buffer per direction.
 */
public final class WebSocketTunnel {

    /** Told once when a tunnel ends (metrics, access log, connection limits). */
    interface Listener {
        void ended(WebSocketTunnel tunnel, String closedBy);
    }

    private static final int CHUNK = 16 * 1024;

    private final Socket upstream;
    private final byte[] early;
    private final Headers switchingHeaders;
    private final WebSocketSettings settings;
    private final Listener listener;
    private final String route;
    private final String requestId;
    private final String client;
    private final String target;
    private final ReentrantLock toClient = new ReentrantLock();
    private final ReentrantLock toUpstream = new ReentrantLock();
    private final WebSocketFrames toClientFrames = new WebSocketFrames();
    private final WebSocketFrames toUpstreamFrames = new WebSocketFrames();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicLong fromClient = new AtomicLong();
    private final AtomicLong fromUpstream = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private volatile long lastActivityNanos = startNanos;
    private volatile String closedBy = "client";
    private volatile DataWriter clientOut;
    private volatile Thread clientThread;

    WebSocketTunnel(Socket upstream, byte[] early, Headers switchingHeaders, WebSocketSettings settings,
                    Listener listener, String route, String requestId, String client, String target) {
        this.upstream = upstream;
        this.early = early;
        this.switchingHeaders = switchingHeaders;
        this.settings = settings;
        this.listener = listener;
        this.route = route;
        this.requestId = requestId;
        this.client = client;
        this.target = target;
    }

    /** The headers of the upstream's 101, for the client's 101 (hop-by-hop ones stripped but Upgrade/Connection). */
    public Headers switchingHeaders() {
        return switchingHeaders;
    }

    /**
     * Relays until the tunnel ends; call on the client connection's thread after the client got its 101.
     *
     * @param clientIn  the client connection's bytes after the upgrade request
     * @param clientOut writes to the client connection
     */
    public void run(DataReader clientIn, DataWriter clientOut) {
        this.clientOut = clientOut;
        this.clientThread = Thread.currentThread();
        Thread upstreamPump = Thread.ofVirtual().name("gatehouse-ws-upstream-" + requestId).start(this::pumpUpstream);
        Thread watchdog = Thread.ofVirtual().name("gatehouse-ws-watch-" + requestId).start(this::watch);
        try {
            if (early.length > 0) {
                writeToClient(early, early.length);
            }
            pumpClient(clientIn);
        } finally {
            end();
            upstreamPump.interrupt();
            watchdog.interrupt();
        }
    }

    /**
     * Ends the tunnel from the gateway's side: a close frame with {@code code} and {@code reason} to
     * each side that is between frames, then both connections close. Idempotent.
     */
    public void close(int code, String reason, String by) {
        if (ended.get()) {
            return;
        }
        closedBy = by;
        byte[] toClientFrame = WebSocketFrames.serverClose(code, reason);
        toClient.lock();
        try {
            if (clientOut != null && toClientFrames.atBoundary()) {
                clientOut.writeNow(BufferData.create(toClientFrame));
            }
        } catch (RuntimeException e) {
            // the client is gone already: nothing to tell it
        } finally {
            toClient.unlock();
        }
        toUpstream.lock();
        try {
            if (toUpstreamFrames.atBoundary()) {
                OutputStream out = upstream.getOutputStream();
                out.write(WebSocketFrames.clientClose(code, reason));
                out.flush();
            }
        } catch (IOException e) {
            // the upstream is gone already
        } finally {
            toUpstream.unlock();
        }
        end();
    }

    /** How long nothing was relayed. */
    public Duration idleTime() {
        return Duration.ofNanos(System.nanoTime() - lastActivityNanos);
    }

    public String route() {
        return route;
    }

    public String requestId() {
        return requestId;
    }

    public String client() {
        return client;
    }

    public String target() {
        return target;
    }

    public long bytesFromClient() {
        return fromClient.get();
    }

    public long bytesFromUpstream() {
        return fromUpstream.get();
    }

    public Duration duration() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private void pumpClient(DataReader clientIn) {
        try {
            OutputStream out = upstream.getOutputStream();
            while (!ended.get()) {
                clientIn.ensureAvailable(); // throws at the client's EOF
                byte[] bytes = clientIn.readBytes(Math.min(clientIn.available(), CHUNK));
                toUpstream.lock();
                try {
                    out.write(bytes);
                    out.flush();
                    toUpstreamFrames.scan(bytes, 0, bytes.length);
                } finally {
                    toUpstream.unlock();
                }
                fromClient.addAndGet(bytes.length);
                lastActivityNanos = System.nanoTime();
            }
        } catch (IOException | RuntimeException e) {
            // the client closed (EOF), was closed by close(), or the upstream write failed: the tunnel ends
        }
    }

    private void pumpUpstream() {
        byte[] buffer = new byte[CHUNK];
        try {
            InputStream in = upstream.getInputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                writeToClient(buffer, n);
            }
            if (!ended.get()) {
                closedBy = "upstream";
            }
        } catch (IOException | RuntimeException e) {
            if (!ended.get()) {
                closedBy = "upstream";
            }
        } finally {
            end();
        }
    }

    private void writeToClient(byte[] bytes, int n) {
        toClient.lock();
        try {
            clientOut.writeNow(BufferData.create(bytes, 0, n));
            toClientFrames.scan(bytes, 0, n);
        } finally {
            toClient.unlock();
        }
        fromUpstream.addAndGet(n);
        lastActivityNanos = System.nanoTime();
    }

    /** Closes the tunnel when idle too long or past its lifetime; checks a few times per idle timeout. */
    private void watch() {
        long period = Math.clamp(settings.idleTimeout().toMillis() / 4, 50, 1000);
        try {
            while (!ended.get()) {
                Thread.sleep(period);
                if (idleTime().compareTo(settings.idleTimeout()) > 0) {
                    close(1001, "idle timeout", "idle_timeout");
                } else if (duration().compareTo(settings.maxLifetime()) > 0) {
                    close(1001, "maximum connection lifetime reached", "max_lifetime");
                }
            }
        } catch (InterruptedException e) {
            // the tunnel ended
        }
    }

    /** Closes both connections once and tells the listener. */
    private void end() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        try {
            upstream.close();
        } catch (IOException e) {
            // closing anyway
        }
        Thread reader = clientThread;
        if (reader != null && reader != Thread.currentThread()) {
            reader.interrupt(); // unblocks the client read: Helidon then closes the client connection
        }
        listener.ended(this, closedBy);
    }
}
