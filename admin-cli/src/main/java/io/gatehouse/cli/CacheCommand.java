package io.gatehouse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code gatehouse cache purge --route R | --prefix P [--redis URL]}: deletes response cache entries.
 *
 * <p>The simplest honest design: the cache lives in Redis, so the CLI talks to that Redis directly
 * (SCAN over {@code gh:cache:{<route>}:*}, or all {@code gh:cache:*} keys, then UNLINK in batches);
 * the control plane is not involved. Entries are keyed {@code gh:cache:{<route>}:<path>|<hash>}, so
 * {@code --prefix} is a request-path prefix ("/api/users" purges "/api/users/7?x=1" and its Vary
 * variants). The Redis protocol is spoken over a plain socket (RESP2; SCAN and UNLINK only) to keep
 * Netty out of the CLI. Sentinel and Cluster URLs work as in the data plane ({@link RedisNodes}): a
 * cluster is purged master by master. {@code --redis} defaults to $GATEHOUSE_REDIS_URL, then redis://127.0.0.1:6379.
 */
@Command(name = "cache", description = "Response cache administration (talks to the cache's Redis directly).")
final class CacheCommand implements Runnable {

    static final String DEFAULT_REDIS = "redis://127.0.0.1:6379";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: purge");
    }

    @Command(name = "purge", description = "Delete cached responses of a route and/or under a path prefix. Redis"
            + " credentials come from GATEHOUSE_REDIS_USER, GATEHOUSE_REDIS_PASSWORD_FILE and, for rediss://,"
            + " GATEHOUSE_REDIS_CA.")
    int purge(@Option(names = "--route", paramLabel = "ROUTE", description = "Route id whose entries to delete.") String route,
              @Option(names = "--prefix", paramLabel = "PATH", description = "Request path prefix, e.g. /api/users.") String prefix,
              @Option(names = "--redis", paramLabel = "URL", description = "Redis of the cache (redis[s]://host:port[/db], redis[s]-sentinel://h:p[,h:p][/db]#master or"
                      + " redis[s]-cluster://h:p[,h:p], no credentials);"
                      + " default $GATEHOUSE_REDIS_URL, then " + DEFAULT_REDIS) String redisUrl) {
        GatehouseCommand root = (GatehouseCommand) spec.root().userObject();
        Output output = root.output();
        if ((route == null || route.isBlank()) && (prefix == null || prefix.isBlank())) {
            output.error("give --route and/or --prefix");
            return ExitCodes.USAGE;
        }
        if (route != null && !route.matches("[a-z0-9][a-z0-9\\-_.]{0,62}")) {
            output.error("--route '" + route + "' is not a route id");
            return ExitCodes.USAGE;
        }
        if (redisUrl != null && hasUserInfo(redisUrl)) {
            output.error("--redis must not carry credentials (ps shows them): use GATEHOUSE_REDIS_USER and"
                    + " GATEHOUSE_REDIS_PASSWORD_FILE");
            return ExitCodes.USAGE;
        }
        String url = redisUrl != null ? redisUrl
                : root.environment().variable("GATEHOUSE_REDIS_URL").orElse(DEFAULT_REDIS);
        Credentials credentials;
        try {
            credentials = Credentials.fromEnvironment(root.environment());
        } catch (IOException e) {
            output.error(e.getMessage());
            return ExitCodes.USAGE;
        }
        String shown = redact(url);
        String match = route != null ? "gh:cache:{" + route + "}:*" : "gh:cache:*";
        try {
            long deleted = 0;
            for (String node : RedisNodes.primaries(url, credentials)) {
                try (Resp redis = Resp.connect(node, credentials)) {
                    deleted += purge(redis, match, prefix);
                }
            }
            output.line("purged " + deleted + " cache entr" + (deleted == 1 ? "y" : "ies")
                    + (route != null ? " of route " + route : "") + (prefix != null ? " under " + prefix : ""));
            return ExitCodes.OK;
        } catch (IOException | RuntimeException e) {
            output.error("cannot purge the cache in Redis at " + shown + ": " + redact(String.valueOf(e.getMessage())));
            return ExitCodes.UNREACHABLE;
        }
    }

    /**
     * SCAN one server for {@code match} and UNLINK what is under {@code prefix}. Keys are unlinked
     * in groups of one hash tag ({@code {route}}): on a cluster node a multi-key command must stay in
     * one slot, and a tag is one slot.
     */
    private static long purge(Resp redis, String match, String prefix) throws IOException {
        long deleted = 0;
        String cursor = "0";
        do {
            List<Object> reply = redis.array("SCAN", cursor, "MATCH", match, "COUNT", "1000");
            cursor = (String) reply.get(0);
            java.util.Map<String, List<String>> byTag = new java.util.LinkedHashMap<>();
            for (Object key : (List<?>) reply.get(1)) {
                String k = (String) key;
                if (prefix == null || pathOf(k).startsWith(prefix)) {
                    byTag.computeIfAbsent(hashTag(k), t -> new ArrayList<>()).add(k);
                }
            }
            for (List<String> keys : byTag.values()) {
                List<String> command = new ArrayList<>(List.of("UNLINK"));
                command.addAll(keys);
                deleted += redis.integer(command.toArray(String[]::new));
            }
        } while (!cursor.equals("0"));
        return deleted;
    }

    /** Redis Cluster's hash tag of {@code key}: what is between the first '{' and the next '}', if not empty. */
    static String hashTag(String key) {
        int open = key.indexOf('{');
        int close = open < 0 ? -1 : key.indexOf('}', open + 1);
        return close > open + 1 ? key.substring(open + 1, close) : key;
    }

    /** Whether the authority part ({@code user:pw@host}, also in comma-separated node lists) has user info. */
    static boolean hasUserInfo(String url) {
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

    /** {@code url} without its user info, for messages. */
    static String redact(String url) {
        return url.replaceAll("(?<=://)[^@/\\s]*@", "<redacted>@");
    }

    /**
     * Redis AUTH and TLS trust, from the environment only: GATEHOUSE_REDIS_USER,
     * GATEHOUSE_REDIS_PASSWORD_FILE (or GATEHOUSE_REDIS_PASSWORD), GATEHOUSE_REDIS_CA (PEM CA for
     * rediss://; default: the JVM's trust store). The same variables as the data plane's.
     */
    record Credentials(java.util.Optional<String> user, java.util.Optional<String> password,
                       java.util.Optional<java.nio.file.Path> ca) {
        static Credentials fromEnvironment(CliEnvironment env) throws IOException {
            return new Credentials(env.variable("GATEHOUSE_REDIS_USER").filter(u -> !u.isBlank()),
                    io.gatehouse.pki.OwnerOnlyFiles.secretFromEnvironment(env.variables(), "GATEHOUSE_REDIS_PASSWORD"),
                    env.variable("GATEHOUSE_REDIS_CA").filter(c -> !c.isBlank()).map(java.nio.file.Path::of));
        }

        static final Credentials NONE = new Credentials(java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty());

        @Override
        public String toString() {
            return "Credentials[user=" + user.orElse("default") + ", password=<redacted>]";
        }
    }

    /** The request path part of {@code gh:cache:{route}:<path>|<hash>}. */
    static String pathOf(String key) {
        int start = key.indexOf("}:");
        int end = key.lastIndexOf('|');
        return start < 0 || end < start ? "" : key.substring(start + 2, end);
    }

    /** A minimal RESP2 client: one connection, blocking commands, the reply types SCAN/UNLINK/SELECT/AUTH use. */
    static final class Resp implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        private Resp(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        static Resp connect(String url, Credentials credentials) throws IOException {
            URI uri = URI.create(url);
            boolean tls = "rediss".equals(uri.getScheme());
            if (!tls && !"redis".equals(uri.getScheme())) {
                throw new IOException("only redis://, rediss://, redis[s]-sentinel:// and redis[s]-cluster:// URLs"
                        + " are supported");
            }
            Socket plain = new Socket();
            plain.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort()), 5000);
            Socket socket = tls ? tls(plain, uri.getHost(), credentials) : plain;
            socket.setSoTimeout(10_000);
            Resp resp = new Resp(socket);
            java.util.Optional<String> user = credentials.user();
            java.util.Optional<String> password = credentials.password();
            if (uri.getUserInfo() != null) {
                // Only from $GATEHOUSE_REDIS_URL (the flag refuses credentials).
                String[] auth = uri.getUserInfo().split(":", 2);
                user = auth.length == 2 && !auth[0].isEmpty() ? java.util.Optional.of(auth[0]) : user;
                password = java.util.Optional.of(auth[auth.length - 1]);
            }
            if (password.isPresent()) {
                resp.send(user.isPresent() ? new String[] {"AUTH", user.get(), password.get()}
                        : new String[] {"AUTH", password.get()});
                try {
                    resp.read();
                } catch (IOException e) {
                    // Redis's own words ("WRONGPASS invalid username-password pair"), never ours with the password.
                    throw new IOException("AUTH refused: " + e.getMessage());
                }
            }
            String db = uri.getPath() == null ? "" : uri.getPath().replace("/", "");
            if (!db.isEmpty()) {
                resp.send("SELECT", db);
                resp.read();
            }
            return resp;
        }

        /** TLS over {@code plain}, verifying the server's certificate chain and host name. */
        private static Socket tls(Socket plain, String host, Credentials credentials) throws IOException {
            try {
                javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
                javax.net.ssl.TrustManager[] trust = null;
                if (credentials.ca().isPresent()) {
                    java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
                    store.load(null, null);
                    int i = 0;
                    for (java.security.cert.X509Certificate ca : io.gatehouse.pki.PemFiles.certificates(
                            credentials.ca().get())) {
                        store.setCertificateEntry("ca-" + i++, ca);
                    }
                    javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance(
                            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                    factory.init(store);
                    trust = factory.getTrustManagers();
                }
                context.init(null, trust, null);
                javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                        .createSocket(plain, host, plain.getPort(), true);
                javax.net.ssl.SSLParameters parameters = socket.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
                socket.startHandshake();
                return socket;
            } catch (java.security.GeneralSecurityException e) {
                plain.close();
                throw new IOException("TLS setup failed: " + e.getMessage(), e);
            } catch (IOException e) {
                plain.close();
                throw new IOException("TLS handshake with Redis failed: " + e.getMessage(), e);
            }
        }

        @SuppressWarnings("unchecked")
        List<Object> array(String... command) throws IOException {
            send(command);
            return (List<Object>) read();
        }

        String bulk(String... command) throws IOException {
            send(command);
            return (String) read();
        }

        long integer(String... command) throws IOException {
            send(command);
            return (Long) read();
        }

        private void send(String... command) throws IOException {
            StringBuilder b = new StringBuilder("*").append(command.length).append("\r\n");
            for (String part : command) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                b.append('$').append(bytes.length).append("\r\n").append(part).append("\r\n");
            }
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        private Object read() throws IOException {
            int type = in.read();
            String line = line();
            return switch (type) {
                case '+' -> line;
                case '-' -> throw new IOException("Redis: " + line);
                case ':' -> Long.parseLong(line);
                case '$' -> {
                    int length = Integer.parseInt(line);
                    if (length < 0) {
                        yield null;
                    }
                    byte[] data = in.readNBytes(length);
                    line();
                    yield new String(data, StandardCharsets.UTF_8);
                }
                case '*' -> {
                    int n = Integer.parseInt(line);
                    List<Object> items = new ArrayList<>(Math.max(0, n));
                    for (int i = 0; i < n; i++) {
                        items.add(read());
                    }
                    yield items;
                }
                default -> throw new IOException("unexpected Redis reply type " + type);
            };
        }

        private String line() throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) != '\r') {
                if (c < 0) {
                    throw new IOException("Redis closed the connection");
                }
                b.append((char) c);
            }
            in.read(); // '\n'
            return b.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
