package io.gatehouse.dataplane.upstream;

import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * grpc-java channels to the targets of gRPC routes' upstreams, one per (target, client settings),
 * reused across requests, routes and snapshots; each multiplexes calls over its HTTP/2 connection.
 *
 * <p>Why grpc-java and not Helidon's HTTP/2 client: Helidon 4.5.0's client hands out the response
 * only after the request's output stream is closed ({@code Http2CallOutputStreamChain.doProceed}
 * reads the response headers after the handler returned and refuses a handler that leaves the
 * stream open), so a bidirectional stream in which the server answers before the client finished
 * sending would deadlock. grpc-java, already in the build for the control-plane stream, is a
 * complete HTTP/2 gRPC transport (flow control, trailers, deadlines) and carries the messages as
 * opaque bytes here.
 *
 * <p>A channel connects lazily and reconnects on its own. Channels of targets that left the config
 * stay until {@link #close()} (a handful per target ever configured). Thread-safe.
 */
public final class GrpcChannels implements AutoCloseable {

    /** Largest message accepted from an upstream (grpc-java's default is 4 MiB). */
    public static final int MAX_RESPONSE_MESSAGE_BYTES = 16 * 1024 * 1024;

    private record Key(String authority, ClientSettings settings) {
    }

    private final Map<Key, ManagedChannel> channels = new ConcurrentHashMap<>();

    /**
     * The channel to {@code target} (created on first use; connects on the first call).
     *
     * @throws IllegalArgumentException if the settings are not HTTP/2 (the control plane refuses that)
     */
    public ManagedChannel channel(UpstreamTarget target, ClientSettings settings, Duration connectTimeout) {
        if (settings.protocol() == UpstreamProtocol.HTTP1) {
            throw new IllegalArgumentException("gRPC needs an HTTP/2 upstream (H2C or H2)");
        }
        return channels.computeIfAbsent(new Key(target.authority(), settings),
                key -> open(target, settings, connectTimeout));
    }

    private static ManagedChannel open(UpstreamTarget target, ClientSettings settings, Duration connectTimeout) {
        ChannelCredentials credentials;
        if (settings.protocol() == UpstreamProtocol.H2C) {
            credentials = InsecureChannelCredentials.create();
        } else {
            TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
            if (!settings.caPem().isEmpty()) {
                try {
                    tls.trustManager(new ByteArrayInputStream(settings.caPem().getBytes(StandardCharsets.US_ASCII)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            credentials = tls.build();
        }
        ManagedChannelBuilder<?> builder = Grpc.newChannelBuilderForAddress(target.host(), target.port(), credentials)
                .maxInboundMessageSize(MAX_RESPONSE_MESSAGE_BYTES)
                .maxInboundMetadataSize(64 * 1024)
                // The client's calls are relayed as they are: no retries or hedging of our own.
                .disableRetry()
                .userAgent("gatehouse");
        settings.serverName().ifPresent(builder::overrideAuthority);
        if (builder instanceof io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder netty) {
            netty.withOption(io.grpc.netty.shaded.io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS,
                    (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        }
        return builder.build();
    }

    /** Open channels (metrics, tests). */
    public int size() {
        return channels.size();
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel channel : channels.values()) {
            try {
                channel.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        channels.clear();
    }
}
