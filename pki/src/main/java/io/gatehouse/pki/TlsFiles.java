package io.gatehouse.pki;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where a process finds its mutual-TLS material, all PEM files: its own certificate (chain) and
 * private key (PKCS#8, {@code BEGIN PRIVATE KEY}), and the CA certificate(s) it trusts for its
 * peers. The files are watched while the process runs ({@link ReloadingCredentials}), so rotating
 * them needs no restart.
 *
 * @param certificate    the process's certificate, leaf first
 * @param privateKey     the key of that certificate
 * @param trustedCa      CA certificates the peer's certificate must chain to (one or more: during a
 *                       CA rotation the file holds the old and the new CA)
 * @param reloadInterval how often the files are checked for changes
 */
public record TlsFiles(Path certificate, Path privateKey, Path trustedCa, Duration reloadInterval) {

    /** Often enough that a rotated Kubernetes Secret (itself synced about once a minute) is picked up promptly. */
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(10);

    public TlsFiles {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(trustedCa, "trustedCa");
        Objects.requireNonNull(reloadInterval, "reloadInterval");
        if (reloadInterval.isNegative() || reloadInterval.isZero()) {
            throw new IllegalArgumentException("reloadInterval must be positive: " + reloadInterval);
        }
    }

    /** With the default reload interval. */
    public TlsFiles(Path certificate, Path privateKey, Path trustedCa) {
        this(certificate, privateKey, trustedCa, DEFAULT_RELOAD_INTERVAL);
    }

    public TlsFiles withReloadInterval(Duration interval) {
        return new TlsFiles(certificate, privateKey, trustedCa, interval);
    }
}
