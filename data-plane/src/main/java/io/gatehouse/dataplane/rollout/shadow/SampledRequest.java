package io.gatehouse.dataplane.rollout.shadow;

import io.gatehouse.dataplane.chain.TlsFacts;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.helidon.http.Headers;
import io.helidon.http.Method;

import java.net.InetAddress;
import java.util.Optional;

/**
 * One live request captured for shadow evaluation, after the config in force decided it: the facts
 * every decision is computed from, and what served it. Immutable (the headers are a copy); holds
 * credentials, so it lives only in the evaluator's bounded queue and is never logged.
 *
 * @param run      the shadow run it was sampled for (a sample of a run that ended is dropped)
 * @param served   the compiled snapshot that served the request
 * @param routeId  the route the config in force chose ("" = none matched)
 * @param method   the request method
 * @param host     the canonical host name
 * @param path     the canonical path
 * @param headers  a copy of the request's headers
 * @param rawQuery the raw query ("" = none)
 * @param client   the client address (after trusted proxies)
 * @param tls      the connection's TLS facts; empty on the plaintext listener
 */
record SampledRequest(ShadowRun run, CompiledSnapshot served, String routeId, Method method, String host,
                      String path, Headers headers, String rawQuery, InetAddress client, Optional<TlsFacts> tls) {
}
