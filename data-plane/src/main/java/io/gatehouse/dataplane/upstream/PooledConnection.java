package io.gatehouse.dataplane.upstream;

import io.helidon.webclient.api.ClientConnection;

/**
 * An HTTP/1.1 connection handed to one upstream attempt by the keep-alive pool.
 *
 * @param connection the connection to pass to the request ({@code HttpClientRequest.connection})
 * @param reused     whether it served earlier requests: a failure before any response byte on a
 *                   reused connection is most likely the upstream having closed it while it sat
 *                   idle, which a retry on a fresh connection resolves
 */
public record PooledConnection(ClientConnection connection, boolean reused) {
}
