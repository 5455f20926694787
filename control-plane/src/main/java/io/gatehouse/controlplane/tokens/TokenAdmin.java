package io.gatehouse.controlplane.tokens;

import com.google.protobuf.Timestamp;
import io.gatehouse.controlplane.trust.Principal;
import io.gatehouse.controlplane.trust.Role;
import io.gatehouse.pki.AdminToken;
import io.gatehouse.proto.admin.v1.CreateTokenRequest;
import io.gatehouse.proto.admin.v1.CreateTokenResponse;
import io.gatehouse.proto.admin.v1.ListTokensRequest;
import io.gatehouse.proto.admin.v1.ListTokensResponse;
import io.gatehouse.proto.admin.v1.RevokeTokenRequest;
import io.gatehouse.proto.admin.v1.RevokeTokenResponse;
import io.gatehouse.proto.admin.v1.TokenInfo;
import io.grpc.Status;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The token operations of the admin API (create, list, revoke), on behalf of the current
 * {@link Principal}. Errors are gRPC statuses. Thread-safe.
 */
public final class TokenAdmin {

    private static final Logger LOG = Logger.getLogger(TokenAdmin.class.getName());
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    private final TokenStore tokens;

    public TokenAdmin(TokenStore tokens) {
        this.tokens = tokens;
    }

    public CreateTokenResponse create(CreateTokenRequest request) {
        String name = request.getName().strip();
        if (!NAME.matcher(name).matches()) {
            throw invalid("name must match [a-z0-9][a-z0-9._-]{0,62}, not '" + name + "'");
        }
        Role role;
        try {
            role = Role.fromProto(request.getRole());
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        Optional<Instant> expiresAt = Optional.empty();
        if (request.hasExpiresIn()) {
            Duration d = Duration.ofSeconds(request.getExpiresIn().getSeconds(), request.getExpiresIn().getNanos());
            if (d.isNegative() || d.isZero()) {
                throw invalid("expires_in must be positive");
            }
            expiresAt = Optional.of(Instant.now().plus(d));
        }
        if (tokens.liveNameExists(name)) {
            throw Status.ALREADY_EXISTS.withDescription("a token named '" + name + "' exists; revoke it first or"
                    + " choose another name").asRuntimeException();
        }
        Principal principal = Principal.current();
        AdminToken token = AdminToken.generate();
        TokenRecord created = tokens.create(token, name, role, expiresAt, principal.name(), request.getReason());
        LOG.info(() -> "admin token " + created.tokenId() + " (" + name + ", " + role.label() + ") created by "
                + principal.name());
        return CreateTokenResponse.newBuilder().setInfo(info(created)).setToken(token.token()).build();
    }

    public ListTokensResponse list(ListTokensRequest request) {
        ListTokensResponse.Builder response = ListTokensResponse.newBuilder();
        tokens.list(request.getIncludeRevoked()).forEach(t -> response.addTokens(info(t)));
        return response.build();
    }

    public RevokeTokenResponse revoke(RevokeTokenRequest request) {
        String which = request.getToken().strip();
        if (which.startsWith(AdminToken.PREFIX)) {
            throw invalid("give the token's id or name (gatehouse tokens list), not the token");
        }
        Principal principal = Principal.current();
        TokenStore.Revoked revoked = tokens.revoke(which, principal.name(), request.getReason()).orElseThrow(() ->
                Status.NOT_FOUND.withDescription("no admin token with id or name '" + which + "'").asRuntimeException());
        if (!revoked.alreadyRevoked()) {
            LOG.info(() -> "admin token " + revoked.token().tokenId() + " (" + revoked.token().name()
                    + ") revoked by " + principal.name());
        }
        return RevokeTokenResponse.newBuilder().setInfo(info(revoked.token()))
                .setAlreadyRevoked(revoked.alreadyRevoked()).build();
    }

    static TokenInfo info(TokenRecord t) {
        TokenInfo.Builder info = TokenInfo.newBuilder()
                .setTokenId(t.tokenId())
                .setName(t.name())
                .setRole(t.role().toProto())
                .setCreatedAt(timestamp(t.createdAt()))
                .setCreatedBy(t.createdBy())
                .setRevoked(t.revoked());
        t.expiresAt().ifPresent(at -> info.setExpiresAt(timestamp(at)));
        t.revokedAt().ifPresent(at -> info.setRevokedAt(timestamp(at)));
        t.lastUsedAt().ifPresent(at -> info.setLastUsedAt(timestamp(at)));
        return info.build();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    private static io.grpc.StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}
