#!/usr/bin/env bash
# Where a JVM's CPU time goes, from a JFR recording's execution samples (async-profiler is not
# available on the bench box and perf has no hardware counters in this VM):
#
#   bench/jfr-top.sh recording.jfr [frames]
#
# Prints the top self frames (the method a sample was taken in), and the share of samples whose
# stack contains a frame of each area (Helidon server, Helidon client, Gatehouse, socket I/O,
# virtual-thread scheduling, ...): inclusive, so the areas overlap. Record with
#   -XX:StartFlightRecording=filename=x.jfr,settings=profile,dumponexit=true   (or jcmd PID JFR.start)
set -euo pipefail
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
"$JAVA_HOME/bin/jfr" print --stack-depth 64 --events jdk.ExecutionSample "$1" | python3 -c '
import collections, sys
top = int(sys.argv[1])
areas = [("socket read/write, epoll (JDK NIO)", ("sun.nio.ch.", "java.net.Socket")),
         ("virtual threads: park/unpark, continuations, scheduler", ("java.lang.VirtualThread", "jdk.internal.vm.Continuation", "java.util.concurrent.ForkJoin")),
         ("Helidon server (io.helidon.webserver)", ("io.helidon.webserver.",)),
         ("Helidon client (io.helidon.webclient)", ("io.helidon.webclient.",)),
         ("Helidon http/common (headers, buffers, parsing)", ("io.helidon.http.", "io.helidon.common.")),
         ("Gatehouse (io.gatehouse)", ("io.gatehouse.",)),
         ("OpenTelemetry", ("io.opentelemetry.",)),
         ("Lettuce / Netty (Redis)", ("io.lettuce.", "io.netty.")),
         ("JWT (nimbus)", ("com.nimbusds.",))]
self_count = collections.Counter(); area_count = collections.Counter(); total = 0
stack = []; inside = False
def flush():
    global total
    if not stack: return
    total += 1
    self_count[stack[0]] += 1
    for name, prefixes in areas:
        if any(f.startswith(p) for f in stack for p in prefixes):
            area_count[name] += 1
for line in sys.stdin:
    s = line.strip()
    if s.startswith("stackTrace = ["):
        inside = True; stack = []; continue
    if inside:
        if s == "]" or s.startswith("]"):
            flush(); inside = False; continue
        if s and s != "...":
            stack.append(s.split("line:")[0].strip())
print(f"{total} execution samples")
print("\nstack contains (inclusive, areas overlap):")
for name, _ in areas:
    print(f"{100 * area_count[name] / max(1, total):5.1f}%  {name}")
print(f"\ntop {top} self frames:")
for frame, n in self_count.most_common(top):
    print(f"{100 * n / max(1, total):5.1f}%  {frame}")
' "${2:-25}"
