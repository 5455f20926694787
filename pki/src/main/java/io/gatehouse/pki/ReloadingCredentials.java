package io.gatehouse.pki;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A process's mutual-TLS material, read from {@link TlsFiles} and re-read when the files change,
 * with no restart and without touching open connections.
 *
 * <p>The key and trust managers handed to gRPC (grpc-java's {@link AdvancedTlsX509KeyManager} and
 * {@link AdvancedTlsX509TrustManager}) stay the same objects for the life of the server or
 * channel; a reload swaps what they hold, so the next handshake uses the new certificate or CA
 * set while established TLS sessions (and the watch streams on them) carry on: TLS 1.3 has no
 * renegotiation to disturb them.
 *
 * <p>Reloading is by content, not modification time: every {@code reloadInterval} one daemon
 * thread reads the three files and compares bytes. A changed certificate and key are swapped in
 * only together and only when the key matches the certificate (a signature made with one verifies
 * with the other), so a rotation written file by file, a Kubernetes Secret update (a symlink swap)
 * or a renewal that keeps the old key all work, and a half-written pair is never served. A failed
 * reload is logged and counted, and the previous material stays in force.
 *
 * <p>Thread-safe. {@link #close()} stops the reload thread.
 */
public final class ReloadingCredentials implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ReloadingCredentials.class.getName());

    private final TlsFiles files;
    private final Clock clock;
    private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
    private final AdvancedTlsX509TrustManager serverSideTrust;
    private final AdvancedTlsX509TrustManager clientSideTrust;
    private final ScheduledExecutorService reloader;
    private final LongAdder reloads = new LongAdder();
    private final LongAdder reloadFailures = new LongAdder();

    // Written by the constructor, then only by the reload thread (reloadNow is synchronized).
    private byte[] certificateBytes;
    private byte[] keyBytes;
    private byte[] caBytes;
    private volatile X509Certificate[] chain;
    private volatile X509Certificate[] trustedCas;
    private volatile Optional<String> lastFailure = Optional.empty();

    private ReloadingCredentials(TlsFiles files, Clock clock, boolean watch) throws IOException {
        this.files = files;
        this.clock = clock;
        try {
            // CERTIFICATE_ONLY on the server: clients are not at a host name; who they are is the
            // SPIFFE ID, checked per call. Clients check the control plane's host name too.
            serverSideTrust = AdvancedTlsX509TrustManager.newBuilder()
                    .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION).build();
            clientSideTrust = AdvancedTlsX509TrustManager.newBuilder()
                    .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
                    .build();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot create TLS trust managers: " + e.getMessage(), e);
        }
        byte[] cert = PemFiles.read(files.certificate());
        byte[] key = PemFiles.read(files.privateKey());
        byte[] ca = PemFiles.read(files.trustedCa());
        installIdentity(cert, key);
        installTrust(ca);
        Instant notAfter = notAfter();
        if (!notAfter.isAfter(clock.instant())) {
            LOG.warning("TLS certificate " + files.certificate() + " expired at " + notAfter
                    + ": peers will refuse it until it is replaced (it is reloaded when the file changes)");
        }
        if (watch) {
            long period = files.reloadInterval().toMillis();
            reloader = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("gatehouse-tls-reload").factory());
            reloader.scheduleWithFixedDelay(this::reloadQuietly, period, period, TimeUnit.MILLISECONDS);
        } else {
            reloader = null;
        }
    }

    /**
     * Loads the files and starts watching them.
     *
     * @throws IOException when a file is missing or unreadable, not PEM, or the key does not belong
     *                     to the certificate (the message names the file)
     */
    public static ReloadingCredentials open(TlsFiles files) throws IOException {
        return new ReloadingCredentials(files, Clock.systemUTC(), true);
    }

    /** Loads the files once, without watching them (short-lived processes such as the CLI). */
    public static ReloadingCredentials load(TlsFiles files) throws IOException {
        return new ReloadingCredentials(files, Clock.systemUTC(), false);
    }

    /**
     * Credentials for the control plane's gRPC server: its own certificate, client certificates
     * verified against the trusted CAs when presented (client auth OPTIONAL: whether a call needs
     * one, and which identity, is the server's per-service decision).
     */
    public ServerCredentials serverCredentials(HandshakeRefusal.Listener refusals) {
        return TlsServerCredentials.newBuilder()
                .keyManager(keyManager)
                .trustManager(new VerifyingTrustManager(serverSideTrust, refusals, clock))
                .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
                .build();
    }

    /**
     * Credentials for a channel to the control plane: presents this certificate, and accepts only
     * a control plane certificate from the trusted CAs that matches the host name dialled.
     */
    public ChannelCredentials channelCredentials(HandshakeRefusal.Listener refusals) {
        return TlsChannelCredentials.newBuilder()
                .keyManager(keyManager)
                .trustManager(new VerifyingTrustManager(clientSideTrust, refusals, clock))
                .build();
    }

    /**
     * Credentials for a channel to the control plane that present no certificate (e.g. the CLI
     * before an admin certificate is issued): the server is still verified in full.
     */
    public static ChannelCredentials anonymousChannelCredentials(Path trustedCa, HandshakeRefusal.Listener refusals)
            throws IOException {
        try {
            AdvancedTlsX509TrustManager trust = AdvancedTlsX509TrustManager.newBuilder()
                    .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
                    .build();
            trust.updateTrustCredentials(PemFiles.certificates(trustedCa));
            return TlsChannelCredentials.newBuilder()
                    .trustManager(new VerifyingTrustManager(trust, refusals, Clock.systemUTC()))
                    .build();
        } catch (GeneralSecurityException e) {
            throw new IOException(trustedCa + ": " + e.getMessage(), e);
        }
    }

    /** This process's certificate in force (the leaf). */
    public X509Certificate certificate() {
        return chain[0];
    }

    /** The Gatehouse identity of {@link #certificate()}, if it names one. */
    public Optional<SpiffeId> identity() {
        try {
            return SpiffeId.of(certificate());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** When {@link #certificate()} expires. */
    public Instant notAfter() {
        return certificate().getNotAfter().toInstant();
    }

    /** The CA certificates in force. */
    public X509Certificate[] trustedCas() {
        return trustedCas.clone();
    }

    public TlsFiles files() {
        return files;
    }

    /** Reloads that changed something (certificate and key, or CAs). */
    public long reloads() {
        return reloads.sum();
    }

    /** Reloads that failed (unreadable file, key not matching the certificate); the old material stayed. */
    public long reloadFailures() {
        return reloadFailures.sum();
    }

    /** Why the latest reload failed; empty once one succeeds. */
    public Optional<String> lastFailure() {
        return lastFailure;
    }

    /**
     * Checks the files now (the reload thread does this every interval). Returns whether anything
     * was swapped in.
     *
     * @throws IOException when a changed file cannot be used; the previous material stays in force
     */
    public synchronized boolean reloadNow() throws IOException {
        byte[] cert = PemFiles.read(files.certificate());
        byte[] key = PemFiles.read(files.privateKey());
        byte[] ca = PemFiles.read(files.trustedCa());
        boolean changed = false;
        if (!Arrays.equals(ca, caBytes)) {
            installTrust(ca);
            changed = true;
            LOG.info(() -> "reloaded trusted CAs from " + files.trustedCa() + ": " + describeAll(trustedCas));
        }
        if (!Arrays.equals(cert, certificateBytes) || !Arrays.equals(key, keyBytes)) {
            installIdentity(cert, key);
            changed = true;
            LOG.info(() -> "reloaded TLS certificate from " + files.certificate() + ": " + describe(certificate()));
        }
        if (changed) {
            reloads.increment();
        }
        lastFailure = Optional.empty();
        return changed;
    }

    private void reloadQuietly() {
        try {
            reloadNow();
        } catch (IOException | RuntimeException e) {
            reloadFailures.increment();
            String message = e.getMessage();
            if (!lastFailure.equals(Optional.ofNullable(message))) {
                // Once per distinct problem, not every interval.
                LOG.log(Level.WARNING, "TLS material not reloaded, keeping the current one: " + message);
            }
            lastFailure = Optional.ofNullable(message);
        }
    }

    private void installIdentity(byte[] cert, byte[] key) throws IOException {
        X509Certificate[] newChain = PemFiles.certificates(cert, files.certificate());
        PrivateKey privateKey = PemFiles.privateKey(key, files.privateKey());
        if (!belongTogether(privateKey, newChain[0])) {
            throw new IOException(files.privateKey() + " is not the key of the certificate in " + files.certificate()
                    + " (a rotation half written? both files are read again at the next check)");
        }
        keyManager.updateIdentityCredentials(newChain, privateKey);
        chain = newChain;
        certificateBytes = cert;
        keyBytes = key;
    }

    private void installTrust(byte[] ca) throws IOException {
        X509Certificate[] cas = PemFiles.certificates(ca, files.trustedCa());
        try {
            serverSideTrust.updateTrustCredentials(cas);
            clientSideTrust.updateTrustCredentials(cas);
        } catch (GeneralSecurityException e) {
            throw new IOException(files.trustedCa() + ": " + e.getMessage(), e);
        }
        trustedCas = cas;
        caBytes = ca;
    }

    /** Proof of possession: a signature made with {@code key} verifies with the certificate's public key. */
    static boolean belongTogether(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] probe = "gatehouse key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** "identity spiffe://..., serial 1f.., expires 2027-...". */
    public static String describe(X509Certificate certificate) {
        String identity;
        try {
            identity = SpiffeId.of(certificate).map(SpiffeId::uri).orElse("none");
        } catch (IllegalArgumentException e) {
            identity = "invalid (" + e.getMessage() + ")";
        }
        return "identity " + identity + ", serial " + certificate.getSerialNumber().toString(16) + ", expires "
                + certificate.getNotAfter().toInstant();
    }

    private static String describeAll(X509Certificate[] cas) {
        StringBuilder out = new StringBuilder();
        for (X509Certificate ca : cas) {
            out.append(out.isEmpty() ? "" : "; ").append(ca.getSubjectX500Principal().getName()).append(" until ")
                    .append(ca.getNotAfter().toInstant());
        }
        return out.toString();
    }

    @Override
    public void close() {
        if (reloader != null) {
            reloader.shutdownNow();
        }
    }
}
