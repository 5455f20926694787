package io.gatehouse.pki.testing;

import io.gatehouse.pki.CertificateIssuer;
import io.gatehouse.pki.PemWriter;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.pki.TlsFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A certificate authority for tests, made with the same {@link CertificateIssuer} the CLI's
 * {@code gatehouse certs} commands use, with its PEM files in a temporary directory deleted when
 * the JVM exits.
 *
 * <p>{@link #shared()} is one CA per test JVM (creating keys is cheap, but not free), whose
 * control plane, admin and per-node data plane certificates are issued once and cached: every
 * fixture that starts a control plane or data plane runs over mutual TLS with it. Tests that
 * rotate or corrupt files take {@link #fresh} copies instead of touching the cached ones.
 * {@link #create} makes an unrelated CA (for "issued by another CA" tests). Thread-safe.
 */
public final class TestPki {

    /** Names a test control plane certificate is valid for (the fixtures dial 127.0.0.1). */
    public static final List<String> CONTROL_PLANE_DNS = List.of("localhost");
    public static final List<InetAddress> CONTROL_PLANE_IPS =
            List.of(InetAddress.getLoopbackAddress(), address("::1"));
    public static final String ADMIN_NAME = "test-admin";

    private static TestPki shared;

    private final CertificateIssuer issuer;
    private final Path dir;
    private final Path caFile;
    private final Map<String, TlsFiles> cached = new HashMap<>();
    private final AtomicInteger counter = new AtomicInteger();

    private TestPki(String caName) {
        try {
            dir = Files.createTempDirectory("gatehouse-test-pki-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir)));
            issuer = CertificateIssuer.newCa(caName, Duration.ofDays(30), Clock.systemUTC());
            caFile = dir.resolve("ca.pem");
            PemWriter.writeCertificates(caFile, List.of(issuer.caCertificate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CA every fixture uses, created on first use. */
    public static synchronized TestPki shared() {
        if (shared == null) {
            shared = new TestPki("gatehouse test CA");
        }
        return shared;
    }

    /** A new CA that nothing trusts by default. */
    public static TestPki create(String caName) {
        return new TestPki(caName);
    }

    public CertificateIssuer issuer() {
        return issuer;
    }

    /** The CA certificate (what every peer trusts). */
    public Path caFile() {
        return caFile;
    }

    public Path dir() {
        return dir;
    }

    /** The control plane's certificate (localhost, 127.0.0.1, ::1), issued once. */
    public TlsFiles controlPlane() {
        return files(SpiffeId.controlPlane("test-cp"));
    }

    /** An admin's certificate ({@value #ADMIN_NAME}), issued once. */
    public TlsFiles admin() {
        return files(SpiffeId.admin(ADMIN_NAME));
    }

    /** A data plane certificate pinned to {@code nodeId} in {@code region}, issued once per pair. */
    public TlsFiles dataPlane(String nodeId, String region) {
        return files(SpiffeId.dataPlane(region, nodeId));
    }

    /** The certificate of {@code identity}, issued on first use and shared afterwards (do not rotate it). */
    public synchronized TlsFiles files(SpiffeId identity) {
        return cached.computeIfAbsent(identity.uri(), k -> fresh(identity));
    }

    /** New files (a new key) for {@code identity}, valid for 30 days; nobody else uses them. */
    public TlsFiles fresh(SpiffeId identity) {
        Instant now = Instant.now();
        return fresh(identity, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(30)));
    }

    /** New files for {@code identity} valid from {@code notBefore} to {@code notAfter} (back-date for expired ones). */
    public TlsFiles fresh(SpiffeId identity, Instant notBefore, Instant notAfter) {
        String base = identity.kind().path() + "-" + (identity.name().isEmpty() ? identity.region() : identity.name())
                + "-" + counter.incrementAndGet();
        TlsFiles files = new TlsFiles(dir.resolve(base + ".pem"), dir.resolve(base + "-key.pem"), caFile);
        writeInto(files, identity, notBefore, notAfter);
        return files;
    }

    /**
     * Issues a new certificate and key for {@code identity} over {@code files}' certificate and key
     * (a rotation in place), valid from now for {@code lifetime}.
     */
    public void rotate(TlsFiles files, SpiffeId identity, Duration lifetime) {
        Instant now = Instant.now();
        writeInto(files, identity, now.minus(Duration.ofMinutes(5)), now.plus(lifetime));
    }

    private void writeInto(TlsFiles files, SpiffeId identity, Instant notBefore, Instant notAfter) {
        boolean server = identity.kind() == SpiffeId.Kind.CONTROL_PLANE;
        CertificateIssuer.IssuedCertificate issued = issuer.issue(new CertificateIssuer.Request(identity,
                server ? CONTROL_PLANE_DNS : List.of(), server ? CONTROL_PLANE_IPS : List.of(), notBefore, notAfter));
        try {
            issued.write(files.certificate(), files.privateKey());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
