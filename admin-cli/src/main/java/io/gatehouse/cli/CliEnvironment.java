package io.gatehouse.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the CLI reads from the process around it: environment variables, the clock (for "3s ago")
 * and the host name (for the default author). Injected so tests run the command in-process with
 * a controlled environment instead of the real one.
 *
 * @param variables environment variables (never null; use {@link #system()} for the real ones)
 * @param clock     source of "now"
 * @param hostname  supplies this machine's name; called at most once per command, lazily
 */
public record CliEnvironment(Map<String, String> variables, Clock clock, Supplier<String> hostname) {

    /** Env var naming the control plane address, {@code host:port}. */
    public static final String SERVER_VARIABLE = "GATEHOUSE_CP_ADDRESS";
    /** Used when neither {@code --server} nor {@value #SERVER_VARIABLE} is given. */
    public static final String DEFAULT_SERVER = "localhost:7070";

    public CliEnvironment {
        variables = Map.copyOf(variables);
    }

    /** The real process environment, system clock and local host name. */
    public static CliEnvironment system() {
        return new CliEnvironment(System.getenv(), Clock.systemUTC(), CliEnvironment::localHostName);
    }

    /** A fixed environment with the system clock, for tests and embedding. */
    public static CliEnvironment of(Map<String, String> variables) {
        return new CliEnvironment(variables, Clock.systemUTC(), () -> "localhost");
    }

    /** $HOME, else the JVM's {@code user.home}. */
    public java.nio.file.Path homeDirectory() {
        return java.nio.file.Path.of(variable("HOME").orElse(System.getProperty("user.home")));
    }

    /** The non-blank value of an environment variable. */
    public Optional<String> variable(String name) {
        return Optional.ofNullable(variables.get(name)).filter(v -> !v.isBlank());
    }

    /**
     * Who an apply or rollback is attributed to by default: {@code $USER@hostname}. Without
     * $USER (cron, some containers) the JVM's {@code user.name} stands in.
     */
    public String defaultAuthor() {
        String user = variable("USER")
                .or(() -> variable("USERNAME"))
                .or(() -> Optional.ofNullable(System.getProperty("user.name")).filter(u -> !u.isBlank()))
                .orElse("unknown");
        return user + "@" + hostname.get();
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            // No resolvable name (e.g. a bare container): the env var is the next best thing.
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
        }
    }
}
