package io.gatehouse.controlplane.testing;

import io.gatehouse.controlplane.store.Database;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * A database that Flyway migrated once, which {@link TestDatabase#migrated()} copies with
 * {@code CREATE DATABASE … TEMPLATE} instead of running every migration again for each test class:
 * a copy takes a fraction of the time of a migration run.
 *
 * <p>The name carries a hash of the migration scripts ({@code gh_template_<hash>}), so a changed or
 * added migration makes a new template and no test ever starts on a stale schema. Several JVMs (the
 * modules of one build, or builds of other branches on the same server) may get here at once: an
 * advisory lock lets one of them build a template while the others wait. A template is complete when
 * it no longer accepts connections (which is also what lets PostgreSQL copy it: a template with
 * a session on it cannot be copied). The newest {@value #KEPT} templates are kept, so branches with
 * different migrations that test at the same time do not drop each other's; older ones are dropped.
 */
final class MigratedTemplate {

    /** Key of the advisory lock that serializes building and dropping templates; any fixed number. */
    private static final long LOCK_KEY = 0x6761_7465_686f_7573L;
    private static final String PREFIX = "gh_template_";
    private static final int KEPT = 3;
    private static final String MIGRATIONS = "db/migration";

    private MigratedTemplate() {
    }

    /** The name of the current template on {@code server}, built first if there is none. */
    static String ensure(TestDatabase.Server server) {
        String name = PREFIX + checksum(scripts());
        try (Connection admin = TestDatabase.connect(server.adminUrl(), server.user(), server.password());
             Statement st = admin.createStatement()) {
            st.execute("SELECT pg_advisory_lock(" + LOCK_KEY + ")");
            try {
                if (!complete(admin, name)) {
                    build(admin, server, name);
                }
                dropAllButNewest(admin);
            } finally {
                st.execute("SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare the migrated template database " + name + " on "
                    + server.adminUrl() + ": " + e.getMessage(), e);
        }
        return name;
    }

    private static boolean complete(Connection admin, String name) throws SQLException {
        try (PreparedStatement ps = admin.prepareStatement(
                "SELECT 1 FROM pg_database WHERE datname = ? AND datistemplate AND NOT datallowconn")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void build(Connection admin, TestDatabase.Server server, String name) throws SQLException {
        try (Statement st = admin.createStatement()) {
            // a half-built one (a JVM killed while migrating) holds the name
            st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            st.execute("CREATE DATABASE " + name);
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setUrl(TestDatabase.withDatabase(server.adminUrl(), name));
            dataSource.setUser(server.user());
            dataSource.setPassword(server.password());
            Database.migrate(dataSource);
            st.execute("ALTER DATABASE " + name + " WITH ALLOW_CONNECTIONS false IS_TEMPLATE true");
        }
    }

    private static void dropAllButNewest(Connection admin) throws SQLException {
        List<String> old = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement(
                "SELECT datname FROM pg_database WHERE datname LIKE 'gh\\_template\\_%' ORDER BY oid DESC OFFSET ?")) {
            ps.setInt(1, KEPT);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    old.add(rs.getString(1));
                }
            }
        }
        try (Statement st = admin.createStatement()) {
            for (String name : old) {
                st.execute("ALTER DATABASE " + name + " IS_TEMPLATE false");
                st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    /** The migration scripts on the class path, by file name, from a directory or a jar. */
    static SortedMap<String, byte[]> scripts() {
        SortedMap<String, byte[]> scripts = new TreeMap<>();
        try {
            Enumeration<URL> roots = MigratedTemplate.class.getClassLoader().getResources(MIGRATIONS);
            while (roots.hasMoreElements()) {
                URL root = roots.nextElement();
                if (root.getProtocol().equals("jar")) {
                    readJar(((JarURLConnection) root.openConnection()).getJarFile(), scripts);
                } else {
                    readDirectory(Path.of(root.toURI()), scripts);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the migrations on the class path", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (scripts.isEmpty()) {
            throw new IllegalStateException("no migration scripts under classpath:" + MIGRATIONS);
        }
        return scripts;
    }

    private static void readJar(JarFile jar, Map<String, byte[]> into) throws IOException {
        for (JarEntry entry : java.util.Collections.list(jar.entries())) {
            if (!entry.isDirectory() && entry.getName().startsWith(MIGRATIONS + "/")) {
                try (InputStream in = jar.getInputStream(entry)) {
                    into.put(entry.getName().substring(MIGRATIONS.length() + 1), in.readAllBytes());
                }
            }
        }
    }

    private static void readDirectory(Path directory, Map<String, byte[]> into) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                into.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        }
    }

    /** 12 hex digits of SHA-256 over names and contents: a new, renamed or edited script changes it. */
    static String checksum(SortedMap<String, byte[]> scripts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            scripts.forEach((name, content) -> {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(content);
                sha.update((byte) 0);
            });
            return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
