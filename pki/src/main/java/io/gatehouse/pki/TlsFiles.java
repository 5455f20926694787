package io.gatehouse.pki;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /**
     * The files named by GATEHOUSE_TLS_CERT, GATEHOUSE_TLS_KEY and GATEHOUSE_TLS_CA (flags
     * {@code --tls-cert}, {@code --tls-key}, {@code --tls-ca}; GATEHOUSE_TLS_RELOAD_INTERVAL optional),
     * or empty when GATEHOUSE_INSECURE_PLAINTEXT is true. Secure by default: plaintext is never a
     * fallback, so anything else (no files, some of them, files and the plaintext flag) is refused.
     *
     * @param issueCommand how to make the files, for the message (e.g. "gatehouse certs issue control-plane")
     * @throws IllegalArgumentException with a message for the operator
     */
    public static Optional<TlsFiles> fromEnvironment(Map<String, String> env, String issueCommand) {
        boolean plaintext = flag(env, "GATEHOUSE_INSECURE_PLAINTEXT");
        String cert = nonBlank(env.get("GATEHOUSE_TLS_CERT"));
        String key = nonBlank(env.get("GATEHOUSE_TLS_KEY"));
        String ca = nonBlank(env.get("GATEHOUSE_TLS_CA"));
        boolean any = cert != null || key != null || ca != null;
        if (plaintext) {
            if (any) {
                throw new IllegalArgumentException("--insecure-plaintext contradicts the TLS files given"
                        + " (--tls-cert/--tls-key/--tls-ca); use one or the other");
            }
            return Optional.empty();
        }
        if (cert == null || key == null || ca == null) {
            StringBuilder missing = new StringBuilder();
            if (cert == null) {
                missing.append(" --tls-cert");
            }
            if (key == null) {
                missing.append(" --tls-key");
            }
            if (ca == null) {
                missing.append(" --tls-ca");
            }
            throw new IllegalArgumentException("mutual TLS needs --tls-cert, --tls-key and --tls-ca"
                    + " (GATEHOUSE_TLS_CERT/_KEY/_CA; make them with `gatehouse certs init` and `" + issueCommand + "`)"
                    + (any ? "; missing:" + missing : "; for a local experiment without TLS pass --insecure-plaintext"));
        }
        String interval = env.get("GATEHOUSE_TLS_RELOAD_INTERVAL");
        return Optional.of(new TlsFiles(Path.of(cert), Path.of(key), Path.of(ca),
                interval == null || interval.isBlank() ? DEFAULT_RELOAD_INTERVAL : duration(interval)));
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)");

    private static Duration duration(String value) {
        Matcher m = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("GATEHOUSE_TLS_RELOAD_INTERVAL must be like 500ms, 10s or 1m, not '"
                    + value + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }

    private static boolean flag(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return false;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, not '" + value + "'");
        };
    }

    private static String nonBlank(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
