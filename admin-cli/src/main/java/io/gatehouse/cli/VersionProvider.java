package io.gatehouse.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * {@code --version}: names the build — the project version (Implementation-Version) and the git
 * commit it was built from, with its commit time and whether the tree had uncommitted changes
 * (manifest entries written by git-commit-id-maven-plugin, see admin-cli/pom.xml).
 */
public final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = Optional.ofNullable(GatehouseCommand.class.getPackage().getImplementationVersion())
                .orElse("development build");
        Attributes manifest = ownManifest();
        return new String[] {
                "gatehouse " + version + " " + build(manifest),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")",
        };
    }

    /** e.g. {@code (commit 3f2a9c1d0e, 2026-12-01T05:12:14Z)}; "(commit unknown)" outside a jar or git tree. */
    static String build(Attributes manifest) {
        String commit = resolved(manifest == null ? null : manifest.getValue("Gatehouse-Commit"));
        if (commit == null) {
            return "(commit unknown)";
        }
        String time = resolved(manifest.getValue("Gatehouse-Commit-Time"));
        boolean dirty = "true".equals(manifest.getValue("Gatehouse-Commit-Dirty"));
        return "(commit " + commit + (dirty ? " with uncommitted changes" : "") + (time == null ? "" : ", " + time) + ")";
    }

    /** Null for an absent value or one Maven left unresolved ("${git.commit.id.abbrev}" when built without .git). */
    private static String resolved(String value) {
        return value == null || value.isBlank() || value.contains("${") ? null : value;
    }

    /** The manifest of the jar this class was loaded from (not the first one on the class path). */
    private static Attributes ownManifest() {
        URL self = VersionProvider.class.getResource("VersionProvider.class");
        if (self == null || !"jar".equals(self.getProtocol())) {
            return null;
        }
        String jar = self.toString();
        try (InputStream in = new URL(jar.substring(0, jar.indexOf("!/") + 2) + "META-INF/MANIFEST.MF").openStream()) {
            return new Manifest(in).getMainAttributes();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
