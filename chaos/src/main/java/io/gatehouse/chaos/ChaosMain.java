package io.gatehouse.chaos;

import io.gatehouse.chaos.report.ResultsTable;
import io.gatehouse.chaos.scenario.Mode;
import io.gatehouse.chaos.scenario.Scenario;
import io.gatehouse.chaos.scenario.ScenarioResult;
import io.gatehouse.chaos.scenario.Verdict;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * {@code chaos/run.sh} entry point: {@code [--mode short|full] [--out FILE] [--only TEXT] [--keep]}.
 * Prints the results table, writes it to {@code --out} if given; exit 0 when every scenario ran
 * (FAIL rows are findings, not harness errors), 1 when one could not run (ERROR), 2 on usage errors.
 */
public final class ChaosMain {

    private ChaosMain() {
    }

    public static void main(String[] args) throws Exception {
        Mode mode = Mode.FULL;
        Path out = null;
        String only = "";
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode" -> mode = Mode.parse(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--only" -> only = args[++i];
                case "--keep" -> keep = true;
                default -> {
                    System.err.println("usage: chaos [--mode short|full] [--out FILE] [--only TEXT] [--keep]");
                    System.exit(2);
                }
            }
        }
        String filter = only;
        List<Scenario> scenarios = ChaosRun.of(mode).stream().filter(s -> s.name().contains(filter)).toList();
        Path root = Path.of(System.getProperty("chaos.root", ".")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("gatehouse-chaos");
        List<ScenarioResult> results = ChaosRun.run(root, work, mode, scenarios);
        String markdown = ResultsTable.render(header(mode, root), results);
        System.out.println(markdown);
        if (out != null) {
            Files.writeString(out, markdown);
        }
        if (!keep) {
            deleteTree(work);
        } else {
            System.err.println("chaos: logs kept in " + work);
        }
        System.exit(results.stream().anyMatch(r -> r.verdict() == Verdict.ERROR) ? 1 : 0);
    }

    /** When, where and how: results from a shared 2-core VM mean little without it. */
    public static String header(Mode mode, Path root) {
        return "# Chaos results (" + mode.name() + " mode)\n\n"
                + "- date: " + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 16)
                + " UTC\n"
                + "- machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpuModel() + "), "
                + memory() + ", shared with other builds\n"
                + "- JDK " + Runtime.version() + "; commit " + commit(root) + "\n"
                + "- latency: from each request's intended send time (open loop, coordinated omission corrected),"
                + " HdrHistogram; \"during\" = requests due while the fault was in force, \"after\" = from healing on";
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String memory() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024 / 1024 + " GiB RAM")
                    .orElse("? RAM");
        } catch (IOException e) {
            return "? RAM";
        }
    }

    private static String commit(Path root) {
        try {
            Process git = new ProcessBuilder("git", "-C", root.toString(), "rev-parse", "--short", "HEAD")
                    .redirectErrorStream(true).start();
            String sha = new String(git.getInputStream().readAllBytes()).strip();
            return git.waitFor() == 0 ? sha : "unknown";
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
