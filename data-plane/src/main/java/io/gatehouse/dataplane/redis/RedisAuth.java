package io.gatehouse.dataplane.redis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * How the data plane authenticates to Redis and verifies it: an ACL user and password for AUTH, and
 * for {@code rediss://} URLs the CA certificate(s) the server's certificate must chain to (default:
 * the JVM's trust store; the host name is always verified). The password comes from
 * {@code GATEHOUSE_REDIS_PASSWORD_FILE} (a mounted Kubernetes Secret, a Docker secret) or
 * {@code GATEHOUSE_REDIS_PASSWORD}, never from a command-line flag, which {@code ps} shows to every
 * user. {@link #toString()} never shows it. Immutable.
 *
 * @param user     ACL user ({@code GATEHOUSE_REDIS_USER}); empty = the default user
 * @param password empty = no AUTH
 * @param ca       PEM CA file for TLS ({@code GATEHOUSE_REDIS_CA})
 */
public record RedisAuth(Optional<String> user, Optional<String> password, Optional<Path> ca) {

    public static final RedisAuth NONE = new RedisAuth(Optional.empty(), Optional.empty(), Optional.empty());

    /**
     * From the environment.
     *
     * @throws IllegalArgumentException when the password file cannot be read (naming the file only)
     */
    public static RedisAuth fromEnvironment(Map<String, String> env) {
        Optional<String> password;
        String file = env.get("GATEHOUSE_REDIS_PASSWORD_FILE");
        if (file != null && !file.isBlank()) {
            try {
                password = Optional.of(Files.readString(Path.of(file)).replaceAll("[\\r\\n]+$", ""));
            } catch (IOException e) {
                throw new IllegalArgumentException("GATEHOUSE_REDIS_PASSWORD_FILE: cannot read " + file + " ("
                        + e.getClass().getSimpleName() + ")", e);
            }
        } else {
            password = Optional.ofNullable(env.get("GATEHOUSE_REDIS_PASSWORD")).filter(p -> !p.isEmpty());
        }
        return new RedisAuth(Optional.ofNullable(env.get("GATEHOUSE_REDIS_USER")).filter(u -> !u.isBlank()), password,
                Optional.ofNullable(env.get("GATEHOUSE_REDIS_CA")).filter(c -> !c.isBlank()).map(Path::of));
    }

    /**
     * Whether a Redis URL carries user info ({@code redis://user:pw@host}), in any of the forms
     * {@link RedisTarget} reads. Scanned by hand: {@code java.net.URI} reads a comma-separated node
     * list ({@code redis-cluster://h1:7000,u:pw@h2:7001}) as a registry authority without user info.
     */
    public static boolean hasPassword(String url) {
        int start = url.indexOf("://");
        String authority = start < 0 ? url : url.substring(start + 3);
        int end = authority.length();
        for (char c : new char[] {'/', '#', '?'}) {
            int at = authority.indexOf(c);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        return authority.substring(0, end).contains("@");
    }

    /** {@code url} with any user info replaced, for logs and messages. */
    public static String redact(String url) {
        return url.replaceAll("(?<=://)[^@/]*@", "<redacted>@");
    }

    char[] passwordChars() {
        return password.map(String::toCharArray).orElse(new char[0]);
    }

    @Override
    public String toString() {
        return "RedisAuth[user=" + user.orElse("default") + ", password=" + (password.isPresent() ? "<redacted>" : "none")
                + ", ca=" + ca.map(Path::toString).orElse("JVM trust store") + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RedisAuth r && r.user.equals(user) && r.password.equals(password) && r.ca.equals(ca);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {user, password, ca});
    }
}
