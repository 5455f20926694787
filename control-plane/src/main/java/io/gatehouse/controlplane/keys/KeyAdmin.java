package io.gatehouse.controlplane.keys;

import com.google.protobuf.Timestamp;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.store.VersionNotFoundException;
import io.gatehouse.controlplane.trust.Principal;
import io.gatehouse.proto.admin.v1.ApiKeyInfo;
import io.gatehouse.proto.admin.v1.CreateApiKeyRequest;
import io.gatehouse.proto.admin.v1.CreateApiKeyResponse;
import io.gatehouse.proto.admin.v1.ListApiKeysRequest;
import io.gatehouse.proto.admin.v1.ListApiKeysResponse;
import io.gatehouse.proto.admin.v1.RevokeApiKeyRequest;
import io.gatehouse.proto.admin.v1.RevokeApiKeyResponse;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import io.grpc.Status;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The key operations of the admin API (create, list, revoke). A key can only be created for a
 * consumer of the active config, and only for routes it has. Errors are gRPC statuses
 * (FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND). Thread-safe.
 */
public final class KeyAdmin {

    private static final Logger LOG = Logger.getLogger(KeyAdmin.class.getName());
    /** Scopes as in OAuth 2.0 (RFC 6749 §3.3): printable ASCII except space, '"' and '\'. */
    private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");
    private static final Pattern KEY_ID = Pattern.compile("[a-z0-9]{8,64}");
    private static final int MAX_NAME = 200;

    private final KeyStore keys;
    private final ConfigStore configs;
    private final ApiKeyGenerator generator = new ApiKeyGenerator();

    public KeyAdmin(KeyStore keys, ConfigStore configs) {
        this.keys = keys;
        this.configs = configs;
    }

    public CreateApiKeyResponse create(CreateApiKeyRequest request) throws VersionNotFoundException {
        String consumer = request.getConsumer().strip();
        if (consumer.isEmpty()) {
            throw invalid("consumer is required");
        }
        if (request.getName().length() > MAX_NAME) {
            throw invalid("name is longer than " + MAX_NAME + " characters");
        }
        Set<String> scopes = new LinkedHashSet<>();
        for (String scope : request.getScopesList()) {
            if (!SCOPE.matcher(scope).matches()) {
                throw invalid("scope '" + scope + "' is not a valid OAuth scope token");
            }
            scopes.add(scope);
        }
        GatewayConfig active = activeConfig();
        if (active.getConsumersList().stream().noneMatch(c -> c.getName().equals(consumer))) {
            throw Status.FAILED_PRECONDITION.withDescription("unknown consumer '" + consumer
                    + "': it must be listed under consumers in the active config").asRuntimeException();
        }
        Set<String> routes = new LinkedHashSet<>(request.getRoutesList());
        Set<String> routeIds = new LinkedHashSet<>(active.getRoutesList().stream().map(Route::getId).toList());
        for (String route : routes) {
            if (!routeIds.contains(route)) {
                throw Status.FAILED_PRECONDITION.withDescription("unknown route '" + route
                        + "': it is not in the active config").asRuntimeException();
            }
        }
        ApiKeyGenerator.NewKey key = generator.generate();
        String principal = Principal.current().name();
        ApiKeyRecord created = keys.create(key.keyId(), key.sha256(), consumer, request.getName().strip(),
                List.copyOf(scopes), List.copyOf(routes), principal, request.getReason());
        LOG.info(() -> "API key " + created.keyId() + " created for consumer " + consumer + " by " + principal);
        return CreateApiKeyResponse.newBuilder().setKey(info(created)).setApiKey(key.key()).build();
    }

    public ListApiKeysResponse list(ListApiKeysRequest request) {
        ListApiKeysResponse.Builder response = ListApiKeysResponse.newBuilder();
        keys.list(request.getConsumer().strip(), request.getIncludeRevoked())
                .forEach(k -> response.addKeys(info(k)));
        return response.build();
    }

    public RevokeApiKeyResponse revoke(RevokeApiKeyRequest request) {
        String keyId = request.getKeyId().strip();
        if (!KEY_ID.matcher(keyId).matches()) {
            throw invalid("key_id must be the id of a key (as shown by `gatehouse keys list`), not the key");
        }
        String principal = Principal.current().name();
        KeyStore.Revoked revoked = keys.revoke(keyId, principal, request.getReason()).orElseThrow(() ->
                Status.NOT_FOUND.withDescription("no API key with id " + keyId).asRuntimeException());
        if (!revoked.alreadyRevoked()) {
            LOG.info(() -> "API key " + keyId + " of consumer " + revoked.key().consumer() + " revoked by " + principal);
        }
        return RevokeApiKeyResponse.newBuilder()
                .setKey(info(revoked.key()))
                .setAlreadyRevoked(revoked.alreadyRevoked())
                .build();
    }

    private GatewayConfig activeConfig() throws VersionNotFoundException {
        OptionalLong active = configs.activeVersion();
        if (active.isEmpty()) {
            throw Status.FAILED_PRECONDITION.withDescription("no config has been applied yet, so there are no consumers")
                    .asRuntimeException();
        }
        return configs.getVersion(active.getAsLong()).config();
    }

    static ApiKeyInfo info(ApiKeyRecord key) {
        ApiKeyInfo.Builder info = ApiKeyInfo.newBuilder()
                .setKeyId(key.keyId())
                .setConsumer(key.consumer())
                .setName(key.name())
                .addAllScopes(key.scopes())
                .addAllRoutes(key.routes())
                .setCreatedAt(timestamp(key.createdAt()))
                .setRevoked(key.revoked());
        key.revokedAt().ifPresent(at -> info.setRevokedAt(timestamp(at)));
        return info.build();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    private static io.grpc.StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}
