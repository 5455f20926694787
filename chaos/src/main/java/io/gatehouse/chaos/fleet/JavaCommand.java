package io.gatehouse.chaos.fleet;

import java.util.ArrayList;
import java.util.List;

/** {@code java [opts] -jar JAR args...} with the driver's own JDK (the scripts picked one >= 21). */
final class JavaCommand {

    private JavaCommand() {
    }

    static List<String> jar(java.nio.file.Path jar, List<String> jvmOptions, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        // JDK 24+ warns about sun.misc.Unsafe use by Guava/Netty; the flag does not exist before 24.
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(args);
        return command;
    }
}
