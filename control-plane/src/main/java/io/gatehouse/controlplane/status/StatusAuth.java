package io.gatehouse.controlplane.status;

import com.sun.net.httpserver.HttpExchange;
import io.gatehouse.controlplane.trust.AccessRefusal;
import io.gatehouse.controlplane.trust.Caller;
import io.gatehouse.controlplane.trust.Role;
import io.gatehouse.controlplane.trust.TokenAuthenticator;
import io.gatehouse.controlplane.trust.TrustEvents;
import io.gatehouse.pki.AdminToken;

import java.util.List;
import java.util.Optional;

/**
 * Who may read the control plane's HTTP listener (status page, {@code /api/*}, {@code /metrics}): the
 * holder of an admin API token of any role (viewer is enough), sent as {@code Authorization: Bearer
 * ght_...} (Prometheus: {@code authorization.credentials_file}) or, for browsers, in the
 * {@code gatehouse_token} cookie that the page's login form sets (HttpOnly, SameSite=Strict). The
 * same tokens and the same revocation as the admin API. Refusals count in
 * {@code gatehouse_cp_admin_refused_total} and are logged like refused admin calls. {@link #OPEN}
 * ({@code --status-auth none}) admits everyone. Thread-safe.
 */
public class StatusAuth {

    /** No authentication: everyone who reaches the listener. */
    public static final StatusAuth OPEN = new StatusAuth(null, TrustEvents.NONE);

    static final String COOKIE = "gatehouse_token";

    private final TokenAuthenticator tokens;
    private final TrustEvents events;

    public StatusAuth(TokenAuthenticator tokens, TrustEvents events) {
        this.tokens = tokens;
        this.events = events;
    }

    boolean open() {
        return tokens == null;
    }

    /** The refusal of this request, or empty when it may be served. */
    Optional<AccessRefusal> check(HttpExchange exchange) {
        if (open()) {
            return Optional.empty();
        }
        Optional<String> presented = presented(exchange);
        if (presented.isEmpty()) {
            return refuse(exchange, AccessRefusal.NO_CREDENTIALS, "no token");
        }
        return check(presented.get()).map(reason -> {
            refuse(exchange, reason, "token refused");
            return reason;
        });
    }

    /** Checks a token (also for the login form); empty = valid. */
    Optional<AccessRefusal> check(String presented) {
        Optional<AdminToken> token = AdminToken.parse(presented);
        if (token.isEmpty()) {
            return Optional.of(AccessRefusal.INVALID_TOKEN);
        }
        TokenAuthenticator.Result result = tokens.authenticate(token.get());
        if (result instanceof TokenAuthenticator.Valid valid && valid.role().includes(Role.VIEWER)) {
            return Optional.empty();
        }
        return Optional.of(result instanceof TokenAuthenticator.Refused r ? r.reason() : AccessRefusal.INSUFFICIENT_ROLE);
    }

    private Optional<AccessRefusal> refuse(HttpExchange exchange, AccessRefusal reason, String detail) {
        events.callRefused(TrustEvents.Service.ADMIN, reason, Caller.PLAINTEXT, "status listener "
                + exchange.getRequestURI().getPath() + " from " + exchange.getRemoteAddress().getAddress().getHostAddress()
                + ": " + detail);
        return Optional.of(reason);
    }

    private static Optional<String> presented(HttpExchange exchange) {
        List<String> authorization = exchange.getRequestHeaders().get("Authorization");
        if (authorization != null && authorization.size() == 1
                && authorization.getFirst().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of(authorization.getFirst().substring(7).strip());
        }
        List<String> cookies = exchange.getRequestHeaders().get("Cookie");
        if (cookies != null) {
            for (String header : cookies) {
                for (String cookie : header.split(";")) {
                    String c = cookie.strip();
                    if (c.startsWith(COOKIE + "=")) {
                        return Optional.of(c.substring(COOKIE.length() + 1));
                    }
                }
            }
        }
        return Optional.empty();
    }
}
