package io.gatehouse.systemtest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code GATEHOUSE_*} variable the deploy manifests and the packages set is one a component
 * reads: a misspelt name (the Kubernetes manifest once set {@code GATEHOUSE_us} for the region) is
 * silently ignored by the process, which then runs with a default nobody chose.
 */
class DeployEnvironmentTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern NAME = Pattern.compile("GATEHOUSE_[A-Za-z0-9_]+");
    private static final Pattern JAVA_LITERAL = Pattern.compile("\"(GATEHOUSE_[A-Z0-9_]+)\"");
    /** Settings read as system properties or environment (observability's Settings: gatehouse.a.b -> GATEHOUSE_A_B). */
    private static final Pattern PROPERTY_LITERAL = Pattern.compile("\"(gatehouse\\.[a-z0-9.]+)\"");
    private static final Pattern SHELL_USE = Pattern.compile("\\$\\{?(GATEHOUSE_[A-Z0-9_]+)");

    @Test
    void everyVariableTheManifestsSetIsReadBySomeComponent() throws IOException {
        Set<String> set = new TreeSet<>();
        for (Path file : files(ROOT.resolve("deploy"), ROOT.resolve("packaging"))) {
            String name = file.getFileName().toString();
            if (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".env")) {
                Matcher m = NAME.matcher(Files.readString(file));
                while (m.find()) {
                    set.add(m.group());
                }
            }
        }
        // Guards the scan: the manifests really were read.
        assertThat(set).contains("GATEHOUSE_REGION", "GATEHOUSE_DB_URL", "GATEHOUSE_CP_ADDRESS");

        Set<String> read = readNames();
        List<String> unread = new ArrayList<>(set);
        unread.removeAll(read);
        assertThat(unread).as("set in deploy/ or packaging/ but read by no component (misspelt?)").isEmpty();
    }

    @Test
    void theCheckCatchesTheMisspellingItWasWrittenFor() throws IOException {
        Set<String> read = readNames();
        assertThat(read).contains("GATEHOUSE_REGION", "GATEHOUSE_ACCESS_LOG", "GATEHOUSE_JAVA_OPTS");
        assertThat(read).doesNotContain("GATEHOUSE_us", "GATEHOUSE_eu", "GATEHOUSE_REGOIN");
    }

    /** Names the components read: Java string literals, their settings' environment form, launcher scripts. */
    private static Set<String> readNames() throws IOException {
        Set<String> read = new TreeSet<>();
        List<Path> sources = files(ROOT.resolve("control-plane/src/main"), ROOT.resolve("data-plane/src/main"),
                ROOT.resolve("admin-cli/src/main"), ROOT.resolve("observability/src/main"));
        assertThat(sources).as("component sources found under " + ROOT).hasSizeGreaterThan(50);
        for (Path file : sources) {
            if (!file.toString().endsWith(".java")) {
                continue;
            }
            String text = Files.readString(file);
            Matcher literal = JAVA_LITERAL.matcher(text);
            while (literal.find()) {
                read.add(literal.group(1));
            }
            Matcher property = PROPERTY_LITERAL.matcher(text);
            while (property.find()) {
                read.add(property.group(1).replace('.', '_').toUpperCase(java.util.Locale.ROOT));
            }
        }
        for (Path file : files(ROOT.resolve("packaging/bin"), ROOT.resolve("bin"))) {
            Matcher use = SHELL_USE.matcher(Files.readString(file));
            while (use.find()) {
                read.add(use.group(1));
            }
        }
        return read;
    }

    private static List<Path> files(Path... roots) {
        List<Path> out = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(root)) {
                walk.filter(Files::isRegularFile).filter(p -> !p.toString().contains("/target/")).forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }
}
