package io.gatehouse.systemtest.fleet;

import io.gatehouse.dataplane.snapshot.Backoff;
import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.discovery.v1.ErrorDetail;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated data plane of {@link FleetBench}: its own identity (client certificate), one
 * channel and Watch stream on the fleet's shared Netty event loop group and executor, ACKing every
 * snapshot like a data plane, or NACKing the version the bench names ({@link #nackVersion}; its
 * config also carries a route named {@value #NACK_ROUTE}, for whoever reads the logs), without
 * parsing or compiling routes: the bench measures the control plane and the
 * wire, not the data plane's compiler. Reconnects with the data plane's own {@link Backoff} policy
 * (same class, same 200 ms .. 10 s bounds as {@code DataPlane}), so a restarted replica sees the
 * same spread (full jitter) as it would from real data planes.
 *
 * <p>Threading: gRPC callbacks run on the shared executor, one at a time per call; reconnects run on
 * the shared scheduler and only open a new call. Fields read by the bench are volatile or atomic.
 */
final class SimulatedDataPlane implements AutoCloseable {

    static final String NACK_ROUTE = "fleet-nack";
    /** The config version every simulated data plane NACKs, as the bench tells them (0 = none). */
    static final AtomicLong nackVersion = new AtomicLong();
    /** The same reconnect bounds as data-plane DataPlane.RECONNECT_INITIAL / RECONNECT_MAX. */
    static final java.time.Duration RECONNECT_INITIAL = java.time.Duration.ofMillis(200);
    static final java.time.Duration RECONNECT_MAX = java.time.Duration.ofSeconds(10);

    private final Node node;
    private final ManagedChannel channel;
    private final ScheduledExecutorService scheduler;
    private final Backoff backoff = new Backoff(RECONNECT_INITIAL, RECONNECT_MAX);
    private volatile boolean closed;
    private volatile String versionInfo = "";
    /** Config version -> System.nanoTime() when its reply (ACK or NACK) was handed to gRPC. */
    final ConcurrentHashMap<Long, Long> repliedAt = new ConcurrentHashMap<>();
    /** Message bytes received as they were on the wire (after any compression), and uncompressed. */
    final AtomicLong wireBytes = new AtomicLong();
    final AtomicLong uncompressedBytes = new AtomicLong();
    final AtomicLong responses = new AtomicLong();
    final AtomicLong nacks = new AtomicLong();
    /** Streams that ended other than by the control plane going away (errors the bench reports). */
    final AtomicLong unexpectedEnds = new AtomicLong();
    final AtomicLong streamsOpened = new AtomicLong();
    private final Object backoffLock = new Object();

    SimulatedDataPlane(String nodeId, String region, String host, int port, ChannelCredentials credentials,
                       EventLoopGroup group, Executor executor, ScheduledExecutorService scheduler) {
        this.node = Node.newBuilder().setId(nodeId).setRegion(region).setBuildVersion("fleet-sim").build();
        this.scheduler = scheduler;
        this.channel = NettyChannelBuilder.forAddress(host, port, credentials)
                .eventLoopGroup(group)
                .channelType(NioSocketChannel.class)
                .executor(executor)
                .keepAliveTime(30, TimeUnit.SECONDS) // as the data plane's WatchClient
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .maxInboundMessageSize(256 << 20)
                .intercept(new WireBytes())
                .build();
    }

    String nodeId() {
        return node.getId();
    }

    String versionInfo() {
        return versionInfo;
    }

    void start() {
        scheduler.execute(this::openStream);
    }

    private void openStream() {
        if (closed) {
            return;
        }
        streamsOpened.incrementAndGet();
        // Our backoff governs, as in the data plane: skip the channel's own reconnect timer.
        channel.resetConnectBackoff();
        Stream stream = new Stream();
        io.grpc.stub.StreamObserver<WatchRequest> requests = io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
                channel.newCall(WATCH, CallOptions.DEFAULT), stream);
        requests.onNext(WatchRequest.newBuilder().setNode(node).setVersionInfo(versionInfo).build());
    }

    /**
     * What the simulator reads of a WatchResponse: version_info, nonce and the snapshot's version.
     * The config inside is skipped, not parsed: 5,000 clients in one JVM parsing a 10k-route config
     * each would measure this JVM's CPU instead of the control plane's (a real data plane parses and
     * compiles on its own CPU). gRPC has already decompressed the message, as for a data plane.
     */
    record Response(String versionInfo, String nonce, long snapshotVersion) {
    }

    static final MethodDescriptor<WatchRequest, Response> WATCH = DiscoveryServiceGrpc.getWatchMethod().toBuilder(
            io.grpc.protobuf.ProtoUtils.marshaller(WatchRequest.getDefaultInstance()), new MethodDescriptor.Marshaller<Response>() {
                @Override
                public java.io.InputStream stream(Response value) {
                    throw new UnsupportedOperationException("the simulator only receives responses");
                }

                @Override
                public Response parse(java.io.InputStream stream) {
                    try {
                        com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(stream);
                        in.setSizeLimit(Integer.MAX_VALUE);
                        String versionInfo = "";
                        String nonce = "";
                        long version = 0;
                        int tag;
                        while ((tag = in.readTag()) != 0) {
                            switch (com.google.protobuf.WireFormat.getTagFieldNumber(tag)) {
                                case WatchResponse.VERSION_INFO_FIELD_NUMBER -> versionInfo = in.readStringRequireUtf8();
                                case WatchResponse.NONCE_FIELD_NUMBER -> nonce = in.readStringRequireUtf8();
                                case WatchResponse.SNAPSHOT_FIELD_NUMBER -> {
                                    int limit = in.pushLimit(in.readRawVarint32());
                                    int inner;
                                    while ((inner = in.readTag()) != 0) {
                                        if (com.google.protobuf.WireFormat.getTagFieldNumber(inner)
                                                == io.gatehouse.proto.discovery.v1.Snapshot.VERSION_FIELD_NUMBER) {
                                            version = in.readInt64();
                                        } else {
                                            in.skipField(inner);
                                        }
                                    }
                                    in.popLimit(limit);
                                }
                                default -> in.skipField(tag);
                            }
                        }
                        return new Response(versionInfo, nonce, version);
                    } catch (java.io.IOException e) {
                        throw io.grpc.Status.INTERNAL.withDescription("bad WatchResponse").withCause(e).asRuntimeException();
                    }
                }
            }).build();

    private final class Stream implements ClientResponseObserver<WatchRequest, Response> {
            private ClientCallStreamObserver<WatchRequest> requests;

            @Override
            public void beforeStart(ClientCallStreamObserver<WatchRequest> stream) {
                requests = stream;
            }

            @Override
            public void onNext(Response response) {
                synchronized (backoffLock) {
                    backoff.reset();
                }
                responses.incrementAndGet();
                boolean nack = response.snapshotVersion() == nackVersion.get();
                WatchRequest.Builder reply = WatchRequest.newBuilder().setResponseNonce(response.nonce());
                if (nack) {
                    nacks.incrementAndGet();
                    reply.setVersionInfo(versionInfo).setErrorDetail(ErrorDetail.newBuilder()
                            .setMessage("fleet simulator told to NACK (route " + NACK_ROUTE + ")"));
                } else {
                    versionInfo = response.versionInfo();
                    reply.setVersionInfo(versionInfo);
                }
                requests.onNext(reply.build());
                repliedAt.put(response.snapshotVersion(), System.nanoTime());
            }

            @Override
            public void onError(Throwable t) {
                Status status = Status.fromThrowable(t);
                if (!closed && status.getCode() != Status.Code.UNAVAILABLE) {
                    unexpectedEnds.incrementAndGet();
                }
                reconnect();
            }

            @Override
            public void onCompleted() {
                reconnect();
            }
    }

    private void reconnect() {
        if (closed) {
            return;
        }
        long delay;
        synchronized (backoffLock) {
            delay = backoff.nextDelay().toMillis();
        }
        scheduler.schedule(this::openStream, delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        channel.shutdownNow();
    }

    boolean awaitClosed() throws InterruptedException {
        return channel.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Counts each received message's wire size (what gRPC read, compressed if it was) and uncompressed size. */
    private final class WireBytes implements ClientInterceptor {
        private final ClientStreamTracer.Factory factory = new ClientStreamTracer.Factory() {
            @Override
            public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
                return new ClientStreamTracer() {
                    @Override
                    public void inboundWireSize(long bytes) {
                        wireBytes.addAndGet(bytes);
                    }

                    @Override
                    public void inboundUncompressedSize(long bytes) {
                        uncompressedBytes.addAndGet(bytes);
                    }
                };
            }
        };

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return next.newCall(method, options.withStreamTracerFactory(factory));
        }
    }
}
