package io.gatehouse.chaos.fleet;

import io.gatehouse.cli.CliEnvironment;
import io.gatehouse.cli.GatehouseCommand;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The operator's {@code gatehouse} CLI run in-process (no JVM start per call, so 20 applies fit in
 * 10 s) with a fixed environment, returning its exit code and output exactly as a script would see them.
 */
public final class Cli {

    /** One invocation's outcome. */
    public record Result(int exitCode, String out, String err) {
        /** The first non-blank line of stderr, else of stdout: what an operator reads first. */
        public String firstLine() {
            String text = err.isBlank() ? out : err;
            return text.lines().filter(l -> !l.isBlank()).findFirst().orElse("").trim();
        }
    }

    private final Map<String, String> environment;

    public Cli(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** The same CLI with one more (or a replaced) environment variable. */
    public Cli with(String name, String value) {
        Map<String, String> copy = new HashMap<>(environment);
        copy.put(name, value);
        return new Cli(copy);
    }

    public Result run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = GatehouseCommand.newCommandLine(CliEnvironment.of(environment));
        cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        int exit = cli.execute(args.toArray(String[]::new));
        return new Result(exit, out.toString(), err.toString());
    }

    public Result run(String... args) {
        return run(List.of(args));
    }

    /** As {@link #run}, failing with the output when the exit code is not 0. */
    public Result runOrFail(String... args) {
        Result result = run(args);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("gatehouse " + String.join(" ", args) + " exited " + result.exitCode()
                    + ": " + result.err() + result.out());
        }
        return result;
    }
}
