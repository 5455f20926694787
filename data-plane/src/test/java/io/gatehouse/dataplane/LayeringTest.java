package io.gatehouse.dataplane;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The data plane's packages keep the layering of ../shared/design/data-plane-layers.md: read from the
 * main sources' own references between packages (imports and fully qualified names), there is no
 * cycle between packages, at most {@link #MAX_UPWARD} references go from a lower floor to a higher
 * one, and none of the references the design forbids exists.
 *
 * <p>Floors, top to bottom: 1 {@code server}; 2 {@code snapshot}, {@code rollout} (the shadow evaluator compiles with the
 * snapshot compiler and reads the policies' compiled values); 3 {@code policy.*}, {@code proxy},
 * {@code telemetry}; 4 {@code routing}, {@code upstream}, {@code redis}, {@code request}, {@code tls}; 5
 * {@code chain}.
 */
class LayeringTest {

    static final int MAX_UPWARD = 3;
    private static final Path MAIN = Path.of("src/main/java/io/gatehouse/dataplane");
    private static final Pattern REFERENCE = Pattern.compile("io\\.gatehouse\\.dataplane\\.([a-z]+(?:\\.[a-z]+)?)\\.[A-Z]");
    /** Pairs the design forbids ("never"), as from-prefix -> to-prefix. */
    private static final List<String[]> NEVER = List.of(
            new String[] {"chain", "routing"}, new String[] {"chain", "snapshot"}, new String[] {"chain", "upstream"},
            new String[] {"chain", "proxy"}, new String[] {"chain", "policy"}, new String[] {"routing", "policy"},
            new String[] {"upstream", "proxy"}, new String[] {"policy", "server"}, new String[] {"snapshot", "server"});

    @Test
    void packagesFormLayersWithoutCyclesAndWithFewUpwardReferences() throws IOException {
        Map<String, Set<String>> uses = references();
        List<String> upward = new ArrayList<>();
        List<String> forbidden = new ArrayList<>();
        uses.forEach((from, targets) -> targets.forEach(to -> {
            if (floor(to) < floor(from)) {
                upward.add(from + " -> " + to);
            }
            for (String[] never : NEVER) {
                if (from.startsWith(never[0]) && to.startsWith(never[1])) {
                    forbidden.add(from + " -> " + to);
                }
            }
        }));
        assertThat(forbidden).as("references the design forbids").isEmpty();
        assertThat(cycles(uses)).as("package cycles").isEmpty();
        assertThat(upward).as("references from a lower floor to a higher one").hasSizeLessThanOrEqualTo(MAX_UPWARD);
    }

    /** Package (relative to io.gatehouse.dataplane, policy sub-packages apart) to the packages it references. */
    private static Map<String, Set<String>> references() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String from = packageOf(MAIN.relativize(file.getParent()).toString().replace('/', '.'));
                Matcher m = REFERENCE.matcher(Files.readString(file));
                while (m.find()) {
                    String to = packageOf(m.group(1));
                    if (!to.equals(from)) {
                        uses.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
                    }
                }
            }
        }
        return uses;
    }

    /**
     * "policy.auth" stays itself, and so does "rollout.shadow" (the seam "rollout" sits beside the watch
     * client that calls it; the evaluator below it uses the snapshot compiler); "routing.X" (a class
     * reached through a nested name) is "routing".
     */
    private static String packageOf(String name) {
        return name.startsWith("policy.") || name.equals("policy") || name.startsWith("rollout.") ? name
                : name.split("\\.")[0];
    }

    private static int floor(String pkg) {
        String top = pkg.split("\\.")[0];
        return switch (top) {
            case "server" -> 1;
            case "snapshot", "rollout" -> 2;
            case "policy", "proxy", "telemetry" -> 3;
            case "routing", "upstream", "redis", "request", "tls", "traffic" -> 4;
            case "chain" -> 5;
            default -> throw new AssertionError("package " + pkg + " has no floor in the design: add it");
        };
    }

    /** Every package that can reach itself again, with the path. */
    private static List<String> cycles(Map<String, Set<String>> uses) {
        List<String> found = new ArrayList<>();
        for (String start : uses.keySet()) {
            Map<String, String> parent = new HashMap<>();
            List<String> queue = new ArrayList<>(uses.getOrDefault(start, Set.of()));
            queue.forEach(next -> parent.put(next, start));
            Set<String> seen = new HashSet<>(queue);
            for (int i = 0; i < queue.size(); i++) {
                String at = queue.get(i);
                if (at.equals(start)) {
                    List<String> path = new ArrayList<>();
                    for (String p = parent.get(start); !p.equals(start); p = parent.get(p)) {
                        path.addFirst(p);
                    }
                    found.add(start + " -> " + String.join(" -> ", path) + " -> " + start);
                    break;
                }
                for (String next : uses.getOrDefault(at, Set.of())) {
                    if (seen.add(next)) {
                        parent.put(next, at);
                        queue.add(next);
                    }
                }
            }
        }
        return found;
    }
}
