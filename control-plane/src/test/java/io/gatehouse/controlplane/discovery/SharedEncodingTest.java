package io.gatehouse.controlplane.discovery;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.GetVersionRequest;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.discovery.v1.ApiKey;
import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Codec;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The snapshot is serialized (and gzip-compressed) once per snapshot for all streams
 * ({@link WatchResponseMarshaller}, {@link SharedGzip}) and every data plane still receives exactly
 * the bytes gRPC's protobuf marshaller would have sent: checked on the encoder itself, and end to end
 * over real mutual-TLS streams that negotiate gzip.
 */
class SharedEncodingTest {

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);

    private static Snapshot snapshot(int routes) {
        GatewayConfig.Builder config = numbered(1).toBuilder();
        for (int i = 0; i < routes; i++) {
            config.addRoutes(numbered(i + 2).getRoutes(0).toBuilder().setId("r-" + i));
        }
        return Snapshot.newBuilder().setVersion(42).setSha256("ab".repeat(32))
                .setCreatedAt(Timestamp.newBuilder().setSeconds(1_700_000_000).setNanos(5))
                .setConfig(config)
                .addApiKeys(ApiKey.newBuilder().setKeyId("k1").setSha256("cd".repeat(32)).setConsumer("acme")
                        .addScopes("orders:read"))
                .setKeysRevision(7)
                .putSecrets("jwks-b", ByteString.copyFromUtf8("{\"keys\":[]}"))
                .putSecrets("jwks-a", ByteString.copyFrom(new byte[]{0, 1, 2, (byte) 255}))
                .build();
    }

    private static WatchResponse response(Snapshot snapshot, String nonce) {
        return WatchResponse.newBuilder().setVersionInfo("42.7").setNonce(nonce).setSnapshot(snapshot).build();
    }

    @Test
    void encodesExactlyWhatProtobufWouldAndTheSnapshotOnlyOnce() throws Exception {
        WatchResponseMarshaller marshaller = new WatchResponseMarshaller();
        Snapshot snapshot = snapshot(300);
        for (int stream = 0; stream < 5; stream++) {
            WatchResponse response = response(snapshot, "nonce-" + stream);
            byte[] viaRead = WatchResponseMarshaller.bytes(marshaller.stream(response));
            ByteArrayOutputStream drained = new ByteArrayOutputStream();
            int n = ((io.grpc.Drainable) marshaller.stream(response)).drainTo(drained);
            assertThat(viaRead).isEqualTo(response.toByteArray());
            assertThat(drained.toByteArray()).isEqualTo(response.toByteArray());
            assertThat(n).isEqualTo(response.getSerializedSize());
            assertThat(((io.grpc.KnownLength) marshaller.stream(response)).available()).isEqualTo(n);
            assertThat(marshaller.parse(new ByteArrayInputStream(viaRead))).isEqualTo(response);
        }
        assertThat(marshaller.encodings()).isEqualTo(1);
        // An equal but distinct instance is encoded again (identity, never a stale encoding).
        Snapshot equal = Snapshot.parseFrom(snapshot.toByteArray());
        assertThat(WatchResponseMarshaller.bytes(marshaller.stream(response(equal, "x"))))
                .isEqualTo(response(equal, "x").toByteArray());
        assertThat(marshaller.encodings()).isEqualTo(2);
        // Without a snapshot, the plain protobuf path.
        WatchResponse empty = WatchResponse.newBuilder().setNonce("n").build();
        assertThat(WatchResponseMarshaller.bytes(marshaller.stream(empty))).isEqualTo(empty.toByteArray());
    }

    @Test
    void gzipOfASharedSnapshotIsTwoMembersThatDecompressToTheMessage() throws Exception {
        WatchResponseMarshaller marshaller = new WatchResponseMarshaller();
        Snapshot snapshot = snapshot(300);
        byte[] member = null;
        for (int stream = 0; stream < 3; stream++) {
            WatchResponse response = response(snapshot, "nonce-" + stream);
            byte[] compressed = compressAsGrpcWould(marshaller.stream(response));
            // grpc-java's own gzip decompressor, as the data plane uses it
            try (InputStream in = new Codec.Gzip().decompress(new ByteArrayInputStream(compressed))) {
                assertThat(in.readAllBytes()).isEqualTo(response.toByteArray());
            }
            assertThat(compressed.length).isLessThan(response.getSerializedSize() / 3);
            WatchResponseMarshaller.Encoded encoded = new WatchResponseMarshaller.Encoded(snapshot);
            member = member == null ? encoded.gzipMember() : member;
        }
        assertThat(marshaller.encodings()).isEqualTo(1);
        // Messages other than a shared snapshot (and empty ones) are one ordinary member.
        WatchResponse empty = WatchResponse.newBuilder().setNonce("n").build();
        try (InputStream in = new Codec.Gzip().decompress(new ByteArrayInputStream(
                compressAsGrpcWould(marshaller.stream(empty))))) {
            assertThat(in.readAllBytes()).isEqualTo(empty.toByteArray());
        }
        try (InputStream in = new Codec.Gzip().decompress(new ByteArrayInputStream(
                compressAsGrpcWould(new ByteArrayInputStream(new byte[0]))))) {
            assertThat(in.readAllBytes()).isEmpty();
        }
    }

    /** What gRPC's MessageFramer does with a compressor: drain (or copy) the message into compress(out), close. */
    private static byte[] compressAsGrpcWould(InputStream message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream compressing = SharedGzip.INSTANCE.compress(out)) {
            if (message instanceof io.grpc.Drainable drainable) {
                drainable.drainTo(compressing);
            } else {
                message.transferTo(compressing);
            }
        }
        return out.toByteArray();
    }

    @Test
    void dataPlanesReceiveTheStoredSnapshotCompressedOnTheWire() {
        long version = cp.admin().apply(ApplyRequest.newBuilder().setConfig(bigConfig()).setAuthor("test").build())
                .getVersion().getVersion();
        AtomicLong wire1 = new AtomicLong();
        AtomicLong plain1 = new AtomicLong();
        AtomicLong wire2 = new AtomicLong();
        AtomicLong plain2 = new AtomicLong();
        try (WatchClient one = WatchClient.open(traced(cp.discoveryAs("dp-enc-1", "eu"), wire1, plain1), "dp-enc-1", "eu", "");
             WatchClient two = WatchClient.open(traced(cp.discoveryAs("dp-enc-2", "eu"), wire2, plain2), "dp-enc-2", "eu", "")) {
            WatchResponse first = one.next();
            WatchResponse second = two.next();
            assertThat(first.getSnapshot().getVersion()).isEqualTo(version);
            // Identical snapshots, and the config is the one stored for that version.
            assertThat(first.getSnapshot().toByteArray()).isEqualTo(second.getSnapshot().toByteArray());
            assertThat(first.getSnapshot().getConfig()).isEqualTo(cp.admin().getVersion(
                    GetVersionRequest.newBuilder().setVersion(version).build()).getConfig());
            assertThat(first.getNonce()).isNotEqualTo(second.getNonce());
            // gzip was negotiated and used: far fewer bytes on the wire than the message holds.
            assertThat(plain1.get()).isEqualTo(first.getSerializedSize());
            assertThat(wire1.get()).isPositive().isLessThan(plain1.get() / 3);
            assertThat(wire2.get()).isPositive().isLessThan(plain2.get() / 3);
            one.ack(first);
            two.ack(second);
        }
    }

    private static GatewayConfig bigConfig() {
        GatewayConfig.Builder config = numbered(1000).toBuilder();
        for (int i = 0; i < 200; i++) {
            config.addRoutes(numbered(1001 + i).getRoutes(0).toBuilder().setId("big-" + i));
        }
        return config.build();
    }

    private static DiscoveryServiceGrpc.DiscoveryServiceStub traced(DiscoveryServiceGrpc.DiscoveryServiceStub stub,
                                                                      AtomicLong wire, AtomicLong plain) {
        ClientStreamTracer.Factory factory = new ClientStreamTracer.Factory() {
            @Override
            public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
                return new ClientStreamTracer() {
                    @Override
                    public void inboundWireSize(long bytes) {
                        wire.addAndGet(bytes);
                    }

                    @Override
                    public void inboundUncompressedSize(long bytes) {
                        plain.addAndGet(bytes);
                    }
                };
            }
        };
        return stub.withInterceptors(new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return next.newCall(method, options.withStreamTracerFactory(factory));
            }
        });
    }
}
