package io.gatehouse.controlplane.testing;

import io.gatehouse.controlplane.secrets.KekSource;
import io.gatehouse.controlplane.server.ControlPlane;
import io.gatehouse.controlplane.server.ControlPlaneSettings;
import io.gatehouse.pki.HandshakeRefusal;
import io.gatehouse.pki.KekKeyset;
import io.gatehouse.pki.ReloadingCredentials;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.admin.v1.CreateTokenRequest;
import io.gatehouse.proto.admin.v1.Role;
import io.gatehouse.testing.Fixture;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Metadata;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A real control plane replica for tests: on {@code 127.0.0.1}, an ephemeral port, a
 * {@link TestDatabase}, serving mutual TLS with the {@link TestPki#shared() test CA} (like every
 * deployment must), plus channels to it owned by the fixture: one presenting an admin certificate
 * ({@link #admin()}) and one per data plane identity ({@link #discoveryAs}). {@link #plaintextOn}
 * is the explicit {@code --insecure-plaintext} mode. Several may share one database (replicas).
 *
 * <p>As a JUnit 5 extension, one line per test class; it starts after its database and stops before it:
 * <pre>{@code
 * @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
 * @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
 * }</pre>
 * The {@code start(...)} methods give a running one that the caller closes (a second replica, a
 * restart). Stopping stops the replica and the channels; the database is not touched.
 */
public final class RunningControlPlane extends Fixture {

    private final Supplier<ControlPlane> starter;
    private final String description;
    private volatile ControlPlane controlPlane;
    private volatile boolean tls;
    private volatile ManagedChannel channel;
    /** Channels presenting a data plane certificate, by identity URI. */
    private final Map<String, ManagedChannel> identityChannels = new ConcurrentHashMap<>();
    /** A TLS channel without a client certificate, for calls authenticated by a token. */
    private volatile ManagedChannel anonymous;
    private volatile String viewerToken;

    private RunningControlPlane(TestDatabase db, String description, Supplier<ControlPlane> starter) {
        if (db != null) {
            requires(db);
        }
        this.description = description;
        this.starter = starter;
    }

    /** A replica on {@code db} with a random id ({@code cp-test-<random>}), started as an extension. */
    public static RunningControlPlane on(TestDatabase db) {
        return on(db, randomId("cp-test-"), settings -> settings);
    }

    /** A replica on {@code db} named {@code replicaId} (several replicas may share one database). */
    public static RunningControlPlane on(TestDatabase db, String replicaId) {
        return on(db, replicaId, settings -> settings);
    }

    /** A replica on {@code db} whose settings (from {@link #settings}) {@code adjust} changes, e.g. its certificate. */
    public static RunningControlPlane on(TestDatabase db, String replicaId, UnaryOperator<ControlPlaneSettings> adjust) {
        return new RunningControlPlane(db, replicaId,
                () -> ControlPlane.start(adjust.apply(settings(db, replicaId))));
    }

    /** A replica on {@code db} serving plaintext gRPC ({@code --insecure-plaintext}), with plaintext channels. */
    public static RunningControlPlane plaintextOn(TestDatabase db) {
        return on(db, randomId("cp-plain-"), ControlPlaneSettings::withInsecurePlaintext);
    }

    /** Starts a replica with a random id ({@code cp-test-<random>}); the caller closes it. */
    public static RunningControlPlane start(TestDatabase db) {
        return started(on(db));
    }

    public static RunningControlPlane start(TestDatabase db, String replicaId) {
        return started(on(db, replicaId));
    }

    /** With non-default background intervals (e.g. a huge poll interval to isolate LISTEN/NOTIFY). */
    public static RunningControlPlane start(TestDatabase db, String replicaId, ControlPlane.Timings timings) {
        return started(new RunningControlPlane(db, replicaId,
                () -> ControlPlane.start(settings(db, replicaId), timings)));
    }

    /** With other settings (e.g. from {@link #settings} with another certificate or admin mode). */
    public static RunningControlPlane start(ControlPlaneSettings settings) {
        return started(new RunningControlPlane(null, settings.replicaId(), () -> ControlPlane.start(settings)));
    }

    /** A replica serving plaintext gRPC ({@code --insecure-plaintext}), with plaintext channels. */
    public static RunningControlPlane startPlaintext(TestDatabase db) {
        return started(plaintextOn(db));
    }

    private static RunningControlPlane started(RunningControlPlane cp) {
        cp.start();
        return cp;
    }

    private static String randomId(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Settings that {@link #start} uses, for tests that start {@link ControlPlane} themselves:
     * mutual TLS with the shared test CA's control plane certificate.
     */
    public static ControlPlaneSettings settings(TestDatabase db, String replicaId) {
        return new ControlPlaneSettings(db.jdbcUrl(), db.user(), db.password(), "127.0.0.1", 0, replicaId)
                .withTls(TestPki.shared().controlPlane());
    }

    /**
     * Settings adjustment for {@link #on(TestDatabase, String, UnaryOperator)}: secrets under the KEK
     * keyset in the file {@code kekFile} names, written there first if it is not yet (a supplier,
     * because a test's {@code @TempDir} is only set once the test runs).
     */
    public static UnaryOperator<ControlPlaneSettings> withKek(Supplier<Path> kekFile) {
        return settings -> {
            Path file = kekFile.get();
            try {
                if (!Files.exists(file)) {
                    KekKeyset.write(file, KekKeyset.newKeysetJson());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return settings.withSecurity(ControlPlaneSettings.Security.DEFAULT.withKek(KekSource.file(file)));
        };
    }

    @Override
    protected void open() {
        ControlPlane started = starter.get();
        tls = started.settings().tls().isPresent();
        controlPlane = started;
        channel = tls ? channelWith(TestPki.shared().admin())
                : Grpc.newChannelBuilder(address(), InsecureChannelCredentials.create()).build();
    }

    public ControlPlane controlPlane() {
        requireRunning();
        return controlPlane;
    }

    public int port() {
        return controlPlane().port();
    }

    /** {@code "127.0.0.1:<port>"}, for gRPC clients and data plane settings. */
    public String target() {
        requireRunning();
        return address();
    }

    /** {@link #target()} without the running check, for {@link #open()} itself. */
    private String address() {
        return "127.0.0.1:" + controlPlane.port();
    }

    public String replicaId() {
        return controlPlane().replicaId();
    }

    /** Blocking admin stub on the fixture's admin channel. */
    public AdminServiceGrpc.AdminServiceBlockingStub admin() {
        return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /**
     * Async discovery stub on a channel presenting the test CA's certificate for data plane
     * {@code nodeId} in {@code region} (plaintext on a plaintext replica), for tests acting as that
     * data plane.
     */
    public DiscoveryServiceGrpc.DiscoveryServiceStub discoveryAs(String nodeId, String region) {
        return discoveryAs(SpiffeId.dataPlane(region, nodeId));
    }

    /** As {@link #discoveryAs(String, String)} for any identity (e.g. a region-wide one, or an admin's). */
    public DiscoveryServiceGrpc.DiscoveryServiceStub discoveryAs(SpiffeId identity) {
        if (!tls) {
            return DiscoveryServiceGrpc.newStub(channel);
        }
        return DiscoveryServiceGrpc.newStub(identityChannels.computeIfAbsent(identity.uri(),
                k -> channelWith(TestPki.shared().files(identity))));
    }

    /** A new channel to this replica presenting {@code files}' certificate; the caller closes it. */
    public ManagedChannel newChannel(TlsFiles files) {
        return Grpc.newChannelBuilder(target(), credentials(files)).build();
    }

    /** A new plaintext channel to this replica (for a plaintext replica, or to see a TLS one refuse it); the caller closes it. */
    public ManagedChannel newPlaintextChannel() {
        return Grpc.newChannelBuilder(target(), InsecureChannelCredentials.create()).build();
    }

    /** Creates an admin API token through the fixture's admin (certificate) channel; returns the token. */
    public String createToken(String name, Role role) {
        return admin().createToken(CreateTokenRequest.newBuilder().setName(name).setRole(role)
                .setReason("test fixture").build()).getToken();
    }

    /**
     * Admin stub on a TLS channel without a client certificate, sending {@code token} as
     * {@code authorization: Bearer} (no header when null).
     */
    public AdminServiceGrpc.AdminServiceBlockingStub adminWithToken(String token) {
        AdminServiceGrpc.AdminServiceBlockingStub stub = AdminServiceGrpc.newBlockingStub(anonymousChannel())
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        return token == null ? stub : stub.withCallCredentials(bearer(token));
    }

    /** Call credentials sending {@code authorization: Bearer <token>}. */
    public static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                applier.apply(headers);
            }
        };
    }

    private ManagedChannel anonymousChannel() {
        if (!tls) {
            return channel;
        }
        ManagedChannel c = anonymous;
        if (c == null) {
            synchronized (this) {
                if (anonymous == null) {
                    try {
                        anonymous = Grpc.newChannelBuilder(target(), ReloadingCredentials.anonymousChannelCredentials(
                                TestPki.shared().controlPlane().trustedCa(), HandshakeRefusal.Listener.NONE)).build();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                c = anonymous;
            }
        }
        return c;
    }

    /** A viewer token of this replica's database (made on first use): what the HTTP listener asks for. */
    public String viewerToken() {
        if (viewerToken == null) {
            viewerToken = createToken("fixture-viewer-" + UUID.randomUUID().toString().substring(0, 8), Role.VIEWER);
        }
        return viewerToken;
    }

    /** GET {@code path} on the replica's HTTP listener (status page, /api/*, /metrics) with {@link #viewerToken()}. */
    public HttpResponse<String> httpGet(String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + controlPlane().httpPort() + path)).header("Authorization", "Bearer " + viewerToken()).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The fixture's admin channel. */
    public ManagedChannel channel() {
        return channel;
    }

    private ManagedChannel channelWith(TlsFiles files) {
        return Grpc.newChannelBuilder(address(), credentials(files)).build();
    }

    private static ChannelCredentials credentials(TlsFiles files) {
        try {
            // Loaded once, not watched: nothing to close.
            return ReloadingCredentials.load(files).channelCredentials(HandshakeRefusal.Listener.NONE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the replica and closes the channels. */
    @Override
    protected void release() {
        List<ManagedChannel> all = new ArrayList<>(identityChannels.values());
        identityChannels.clear();
        all.add(channel);
        if (anonymous != null) {
            all.add(anonymous);
            anonymous = null;
        }
        viewerToken = null;
        all.forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel c : all) {
            try {
                c.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        controlPlane.close();
    }

    @Override
    public String toString() {
        return "RunningControlPlane[" + description + "]";
    }
}
