package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.discovery.v1.ApiKey;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Everything authentication needs from one snapshot: route auth blocks by route id, JWT verifiers,
 * consumers, and the API keys indexed by their SHA-256. Immutable; built once per snapshot.
 *
 * <p>Key lookup is a hash-map get on the SHA-256 of the presented key, not a comparison of
 * secrets, so it needs no constant-time compare: a timing side channel could at most reveal how
 * a <em>hash</em> of the attacker's own guess relates to stored hashes, and since nobody can steer
 * SHA-256 output, that gives no way to build a matching key (256 random bits stay unguessable).
 */
final class CompiledAuth {

    static final CompiledAuth EMPTY = new CompiledAuth(Map.of(), Map.of(), Map.of(), null);

    /** The snapshot's compiled auth, among its gateway-wide parts; shared by authentication and authorization. */
    static final Parts.Key<CompiledAuth> PART = Parts.Key.of("auth", EMPTY);

    private final Map<String, RouteAuth> routes;
    private final Map<String, ApiKey> keysBySha256;
    private final Map<String, Consumer> consumers;
    /** The name of the config's only JWT provider; null when there are none or several. */
    private final String onlyProvider;

    private CompiledAuth(Map<String, RouteAuth> routes, Map<String, ApiKey> keysBySha256,
                         Map<String, Consumer> consumers, String onlyProvider) {
        this.routes = routes;
        this.keysBySha256 = keysBySha256;
        this.consumers = consumers;
        this.onlyProvider = onlyProvider;
    }

    /**
     * Compiles every JWT provider, route auth policy, API key and consumer, strictly: a provider whose
     * keys do not parse or fit its algorithms, or a route naming an unknown provider, refuses the
     * whole snapshot (never a route that then rejects or admits in a way nobody approved).
     *
     * @throws IllegalArgumentException "path: reason"
     */
    static CompiledAuth compile(Snapshot snapshot, JwksCache jwks, Clock clock) {
        GatewayConfig config = snapshot.getConfig();
        Map<String, JwtVerifier> verifiers = new HashMap<>();
        for (int i = 0; i < config.getJwtProvidersCount(); i++) {
            JwtProvider provider = config.getJwtProviders(i);
            try {
                if (verifiers.put(provider.getName(), new JwtVerifier(provider, snapshot.getSecretsMap(), jwks, clock)) != null) {
                    throw new IllegalArgumentException("name: duplicate JWT provider name '" + provider.getName() + "'");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("jwtProviders[" + i + "]." + e.getMessage(), e);
            }
        }
        Map<String, RouteAuth> routes = new HashMap<>();
        for (int i = 0; i < config.getRoutesCount(); i++) {
            Route route = config.getRoutes(i);
            if (route.hasAuth()) {
                routes.put(route.getId(), RouteAuth.compile(route.getAuth(), verifiers, "routes[" + i + "].auth",
                        clock));
            }
        }
        Map<String, ApiKey> keys = new HashMap<>();
        for (ApiKey key : snapshot.getApiKeysList()) {
            keys.put(key.getSha256(), key);
        }
        Map<String, Consumer> consumers = new HashMap<>();
        for (Consumer consumer : config.getConsumersList()) {
            consumers.put(consumer.getName(), consumer);
        }
        String onlyProvider = config.getJwtProvidersCount() == 1 ? config.getJwtProviders(0).getName() : null;
        return new CompiledAuth(Map.copyOf(routes), Map.copyOf(keys), Map.copyOf(consumers), onlyProvider);
    }

    Optional<RouteAuth> route(String routeId) {
        return Optional.ofNullable(routes.get(routeId));
    }

    Optional<ApiKey> keyBySha256(String sha256) {
        return Optional.ofNullable(keysBySha256.get(sha256));
    }

    /** The consumer an API key belongs to. */
    Optional<Consumer> consumer(String name) {
        return Optional.ofNullable(consumers.get(name));
    }

    /**
     * The consumer a token of {@code provider} with {@code sub = subject} is: the consumer of that name
     * if it is bound to the provider ({@code consumers[].jwtProviders}, or the config's only provider
     * when that list is empty). A subject means something only together with who issued it.
     */
    Optional<Consumer> jwtConsumer(String subject, String provider) {
        Consumer consumer = consumers.get(subject);
        if (consumer == null) {
            return Optional.empty();
        }
        boolean bound = consumer.getJwtProvidersCount() == 0 ? provider.equals(onlyProvider)
                : consumer.getJwtProvidersList().contains(provider);
        return bound ? Optional.of(consumer) : Optional.empty();
    }
}
