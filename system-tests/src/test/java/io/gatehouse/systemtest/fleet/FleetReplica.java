package io.gatehouse.systemtest.fleet;

import io.gatehouse.controlplane.server.Main;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

/**
 * A control plane replica as its own process for {@link FleetBench}: the real {@link Main} (same
 * flags, same wiring), plus one daemon thread that answers {@code stats} on stdin with one line
 * on stdout. It exists because the figures the bench needs per push are inside the JVM: bytes
 * allocated by all threads ({@code getTotalThreadAllocatedBytes}, counting threads that have
 * ended too), heap in use and GC counts. CPU seconds are read from outside, from /proc.
 * Logging goes to stderr (java.util.logging's console handler), so stdout carries only these lines.
 */
public final class FleetReplica {

    private FleetReplica() {
    }

    public static void main(String[] args) throws InterruptedException {
        Thread.ofPlatform().daemon().name("fleet-stats").start(FleetReplica::answerStats);
        Main.main(args);
    }

    private static void answerStats() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        var memory = ManagementFactory.getMemoryMXBean();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] words = line.trim().split(" ");
                if (words.length == 2 && (words[0].equals("stats") || words[0].equals("gc"))) {
                    if (words[0].equals("gc")) {
                        // Retained heap: what the open streams and caches hold, not garbage.
                        for (int i = 0; i < 2; i++) {
                            System.gc();
                        }
                    }
                    long gcCount = 0;
                    long gcMillis = 0;
                    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                        gcCount += Math.max(0, gc.getCollectionCount());
                        gcMillis += Math.max(0, gc.getCollectionTime());
                    }
                    System.out.println("FLEETSTATS " + words[1] + " alloc=" + threads.getTotalThreadAllocatedBytes()
                            + " heap=" + memory.getHeapMemoryUsage().getUsed() + " gcCount=" + gcCount
                            + " gcMillis=" + gcMillis + " threads=" + threads.getThreadCount());
                    System.out.flush();
                }
            }
        } catch (Exception e) {
            System.err.println("fleet-stats: " + e);
        }
    }
}
