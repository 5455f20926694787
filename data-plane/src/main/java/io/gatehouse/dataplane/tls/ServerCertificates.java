package io.gatehouse.dataplane.tls;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.pki.EdgeCertificate;
import io.gatehouse.proto.config.v1.Certificate;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.TlsSettings;
import io.gatehouse.proto.config.v1.TlsVersion;
import io.gatehouse.proto.config.v1.UnknownServerName;
import io.gatehouse.proto.discovery.v1.Snapshot;

import com.google.protobuf.ByteString;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTPS listener's certificates as one snapshot compiled them: which certificate each server
 * name gets (an exact host before a {@code *.} wildcard host, then the default, or none when unknown
 * names are refused). Compiled with the snapshot ({@link #compile}); the listener's
 * {@link SniKeyManager} reads the set in force on every handshake. Immutable; thread-safe.
 */
public final class ServerCertificates {

    private static final java.util.concurrent.atomic.AtomicLong SERIALS = new java.util.concurrent.atomic.AtomicLong();

    /** No certificate: every handshake fails (the listener runs, serving nothing, until a snapshot brings some). */
    public static final ServerCertificates NONE = new ServerCertificates(Map.of(), Map.of(), Map.of(), null,
            TlsVersion.TLS_1_2);

    /** The compiled set among a snapshot's gateway-wide parts; {@link #NONE} when it has no certificates. */
    public static final Parts.Key<ServerCertificates> PART = Parts.Key.of("tls.certificates", NONE);

    /** Distinguishes this compile's aliases from another's for the same names ({@link #alias}). */
    private final long serial = SERIALS.incrementAndGet();
    private final Map<String, EdgeCertificate> byName;
    private final Map<String, String> exact;
    /** "*.example.com" hosts by their suffix ".example.com". */
    private final Map<String, String> wildcard;
    private final String defaultName;
    private final TlsVersion minVersion;

    private ServerCertificates(Map<String, EdgeCertificate> byName, Map<String, String> exact,
                               Map<String, String> wildcard, String defaultName, TlsVersion minVersion) {
        this.byName = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byName)); // config order
        this.exact = Map.copyOf(exact);
        this.wildcard = Map.copyOf(wildcard);
        this.defaultName = defaultName;
        this.minVersion = minVersion;
    }

    /**
     * Compiles {@code config.certificates} with their secrets from the snapshot and
     * {@code settings.tls}, with the checks the control plane ran at apply ({@link EdgeCertificate}).
     *
     * @throws IllegalArgumentException naming the path of the first problem ({@code certificates[1].keySecret: ...})
     */
    public static ServerCertificates compile(Snapshot snapshot, Instant now) {
        GatewayConfig config = snapshot.getConfig();
        TlsSettings settings = config.getSettings().getTls();
        TlsVersion minVersion = settings.getMinVersion() == TlsVersion.TLS_1_3 ? TlsVersion.TLS_1_3 : TlsVersion.TLS_1_2;
        if (config.getCertificatesCount() == 0) {
            if (!settings.getDefaultCertificate().isEmpty()) {
                throw new IllegalArgumentException("settings.tls.defaultCertificate: unknown certificate '"
                        + settings.getDefaultCertificate() + "'");
            }
            return minVersion == TlsVersion.TLS_1_2 ? NONE
                    : new ServerCertificates(Map.of(), Map.of(), Map.of(), null, minVersion);
        }
        Map<String, EdgeCertificate> byName = new LinkedHashMap<>();
        Map<String, String> exact = new HashMap<>();
        Map<String, String> wildcard = new HashMap<>();
        for (int i = 0; i < config.getCertificatesCount(); i++) {
            Certificate entry = config.getCertificates(i);
            String path = "certificates[" + i + "]";
            EdgeCertificate.Checked checked = EdgeCertificate.check(secret(snapshot, entry.getCertSecret(), path + ".certSecret"),
                    secret(snapshot, entry.getKeySecret(), path + ".keySecret"), entry.getHostsList(), now);
            if (!checked.problems().isEmpty()) {
                EdgeCertificate.Problem first = checked.problems().getFirst();
                throw new IllegalArgumentException(path + "." + first.field() + ": " + first.reason());
            }
            if (byName.putIfAbsent(entry.getName(), checked.certificate().orElseThrow()) != null) {
                throw new IllegalArgumentException(path + ".name: duplicate certificate '" + entry.getName() + "'");
            }
            for (int h = 0; h < entry.getHostsCount(); h++) {
                String host = entry.getHosts(h).toLowerCase(Locale.ROOT);
                Map<String, String> table = host.startsWith("*.") ? wildcard : exact;
                String key = host.startsWith("*.") ? host.substring(1) : host;
                String earlier = table.putIfAbsent(key, entry.getName());
                if (earlier != null) {
                    throw new IllegalArgumentException(path + ".hosts[" + h + "]: host '" + host
                            + "' is also served by certificate '" + earlier + "'");
                }
            }
        }
        String defaultName = settings.getDefaultCertificate().isEmpty()
                ? config.getCertificates(0).getName() : settings.getDefaultCertificate();
        if (!byName.containsKey(defaultName)) {
            throw new IllegalArgumentException("settings.tls.defaultCertificate: unknown certificate '" + defaultName + "'");
        }
        boolean reject = settings.getUnknownServerName() == UnknownServerName.REJECT_HANDSHAKE;
        return new ServerCertificates(byName, exact, wildcard, reject ? null : defaultName, minVersion);
    }

    private static byte[] secret(Snapshot snapshot, String name, String path) {
        ByteString value = snapshot.getSecretsMap().get(name);
        if (value == null) {
            throw new IllegalArgumentException(path + ": secret '" + name + "' is not in the snapshot");
        }
        return value.toByteArray();
    }

    /**
     * The certificate for a handshake: the one listing {@code serverName} exactly, else the one
     * listing its parent domain as {@code *.}, else the default; empty when unknown names are refused
     * (or there are no certificates).
     *
     * @param serverName the SNI name, lower case; empty when the client sent none
     */
    public Optional<Named> select(Optional<String> serverName) {
        if (serverName.isPresent()) {
            String host = serverName.get();
            String name = exact.get(host);
            if (name == null) {
                int dot = host.indexOf('.');
                name = dot > 0 ? wildcard.get(host.substring(dot)) : null;
            }
            if (name != null) {
                return Optional.of(new Named(alias(name), byName.get(name)));
            }
        }
        return defaultName == null ? Optional.empty()
                : Optional.of(new Named(alias(defaultName), byName.get(defaultName)));
    }

    /** The key manager's alias of a certificate: its name and this set's serial ("api#17"). */
    String alias(String name) {
        return name + "#" + serial;
    }

    /** The certificate behind an alias of this set; empty for another set's alias. */
    Optional<EdgeCertificate> byAlias(String alias) {
        int hash = alias.lastIndexOf('#');
        if (hash < 0 || !alias.substring(hash + 1).equals(Long.toString(serial))) {
            return Optional.empty();
        }
        return Optional.ofNullable(byName.get(alias.substring(0, hash)));
    }

    /** The certificate called {@code name}, if this set has it. */
    public Optional<EdgeCertificate> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** Every certificate, by name, in config order. */
    public Map<String, EdgeCertificate> all() {
        return byName;
    }

    /** The lowest TLS version the listener accepts. */
    public TlsVersion minVersion() {
        return minVersion;
    }

    /** A certificate with its key manager alias ({@link #alias}). */
    public record Named(String alias, EdgeCertificate certificate) {
    }
}
