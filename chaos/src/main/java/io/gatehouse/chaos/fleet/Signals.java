package io.gatehouse.chaos.fleet;

import java.io.IOException;

/**
 * POSIX signals by pid through {@code kill(1)}: the JDK can send SIGTERM and SIGKILL only, and the
 * harness needs SIGSTOP and SIGCONT too. Never by process name.
 */
public final class Signals {

    private Signals() {
    }

    /** Sends {@code SIG<signal>} (e.g. "KILL", "STOP") to {@code pid}; a process already gone is not an error. */
    public static void send(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
        kill.getInputStream().readAllBytes();
        kill.waitFor();
    }
}
