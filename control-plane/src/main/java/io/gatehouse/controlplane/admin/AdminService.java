package io.gatehouse.controlplane.admin;

import io.gatehouse.controlplane.audit.AuditLog;
import io.gatehouse.controlplane.keys.KeyAdmin;
import io.gatehouse.controlplane.secrets.SecretAdmin;
import io.gatehouse.controlplane.tokens.TokenAdmin;
import io.gatehouse.controlplane.trust.Principal;
import io.gatehouse.controlplane.validate.SecretLookup;
import io.gatehouse.proto.admin.v1.AuditEntry;
import io.gatehouse.proto.admin.v1.CreateTokenRequest;
import io.gatehouse.proto.admin.v1.CreateTokenResponse;
import io.gatehouse.proto.admin.v1.DeleteSecretRequest;
import io.gatehouse.proto.admin.v1.DeleteSecretResponse;
import io.gatehouse.proto.admin.v1.ListAuditRequest;
import io.gatehouse.proto.admin.v1.ListAuditResponse;
import io.gatehouse.proto.admin.v1.ListSecretsRequest;
import io.gatehouse.proto.admin.v1.ListSecretsResponse;
import io.gatehouse.proto.admin.v1.ListTokensRequest;
import io.gatehouse.proto.admin.v1.ListTokensResponse;
import io.gatehouse.proto.admin.v1.RevokeTokenRequest;
import io.gatehouse.proto.admin.v1.RevokeTokenResponse;
import io.gatehouse.proto.admin.v1.RotateKekRequest;
import io.gatehouse.proto.admin.v1.RotateKekResponse;
import io.gatehouse.proto.admin.v1.SetSecretRequest;
import io.gatehouse.proto.admin.v1.SetSecretResponse;
import io.gatehouse.proto.admin.v1.WhoAmIRequest;
import io.gatehouse.proto.admin.v1.WhoAmIResponse;
import io.gatehouse.controlplane.rollout.RolloutAdmin;
import io.gatehouse.controlplane.rollout.RolloutRow;
import io.gatehouse.controlplane.store.RolloutInProgressException;
import io.gatehouse.proto.admin.v1.ControlRolloutRequest;
import io.gatehouse.proto.admin.v1.GetRolloutRequest;
import io.gatehouse.proto.admin.v1.ListRolloutsRequest;
import io.gatehouse.proto.admin.v1.ListRolloutsResponse;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.controlplane.store.ApplyResult;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.store.DataPlaneStore;
import io.gatehouse.controlplane.store.StoreException;
import io.gatehouse.controlplane.store.StoredConfig;
import io.gatehouse.controlplane.store.VersionNotFoundException;
import io.gatehouse.controlplane.store.VersionRecord;
import io.gatehouse.controlplane.validate.ConfigValidator;
import io.gatehouse.controlplane.validate.ValidationProblem;
import io.gatehouse.observability.logging.LogText;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.ConfigVersion;
import io.gatehouse.proto.admin.v1.CreateApiKeyRequest;
import io.gatehouse.proto.admin.v1.CreateApiKeyResponse;
import io.gatehouse.proto.admin.v1.ListApiKeysRequest;
import io.gatehouse.proto.admin.v1.ListApiKeysResponse;
import io.gatehouse.proto.admin.v1.RevokeApiKeyRequest;
import io.gatehouse.proto.admin.v1.RevokeApiKeyResponse;
import io.gatehouse.proto.admin.v1.DiffRequest;
import io.gatehouse.proto.admin.v1.DiffResponse;
import io.gatehouse.proto.admin.v1.GetVersionRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesResponse;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.admin.v1.ListVersionsResponse;
import io.gatehouse.proto.admin.v1.PruneDataPlanesRequest;
import io.gatehouse.proto.admin.v1.PruneDataPlanesResponse;
import io.gatehouse.proto.admin.v1.RollbackRequest;
import io.gatehouse.proto.admin.v1.ValidateRequest;
import io.gatehouse.proto.admin.v1.ValidateResponse;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The operator API (admin.proto): validate, apply, inspect, diff and roll back config versions,
 * list data plane status, and manage API keys, admin tokens, secrets and the audit trail. Who may
 * call what is decided before a handler runs (AdminAuthInterceptor); handlers record the
 * {@link Principal} as the author of what they change. Validation failures are answers (outcome REJECTED with every
 * problem), not gRPC errors; unknown versions are NOT_FOUND; database trouble is UNAVAILABLE.
 * Thread-safe.
 */
public final class AdminService extends AdminServiceGrpc.AdminServiceImplBase {

    private static final Logger LOG = Logger.getLogger(AdminService.class.getName());
    /** Longest change message accepted with an apply or rollback. */
    static final int MAX_MESSAGE_CHARS = 1000;
    /** Longest piece of caller-supplied text quoted in one log line. */
    private static final int MAX_LOGGED_CHARS = 500;
    private static final int DEFAULT_LIMIT = 50;
    private static final int MAX_LIMIT = 1000;

    private final ConfigStore configs;
    private final DataPlaneStore dataPlanes;
    private final ConfigValidator validator;
    /** Null when this service was built without the key store (key RPCs are then UNIMPLEMENTED). */
    private final KeyAdmin keys;
    /** {@code PruneDataPlanes} without {@code older_than} removes data planes disconnected longer than this. */
    private final Duration defaultRetention;
    /** Null when built without them (the RPCs are then UNIMPLEMENTED). */
    private final TokenAdmin tokens;
    private final SecretAdmin secrets;
    private final AuditLog audit;
    private final SecretLookup secretLookup;
    /** Null when built without rollouts. */
    private final RolloutAdmin rollouts;

    /**
     * The optional parts of the admin API; null members make their RPCs UNIMPLEMENTED.
     *
     * @param secretLookup what validation of secret references sees ({@link SecretLookup#NONE}: none exist)
     */
    public record Extensions(KeyAdmin keys, TokenAdmin tokens, SecretAdmin secrets, AuditLog audit,
                             SecretLookup secretLookup, RolloutAdmin rollouts) {
        public static final Extensions NONE = new Extensions(null, null, null, null, SecretLookup.NONE, null);

        /** Without rollouts (applies with a plan are then UNIMPLEMENTED). */
        public Extensions(KeyAdmin keys, TokenAdmin tokens, SecretAdmin secrets, AuditLog audit,
                          SecretLookup secretLookup) {
            this(keys, tokens, secrets, audit, secretLookup, null);
        }
    }

    public AdminService(ConfigStore configs, DataPlaneStore dataPlanes, ConfigValidator validator) {
        this(configs, dataPlanes, validator, Extensions.NONE, Duration.ofHours(24));
    }

    public AdminService(ConfigStore configs, DataPlaneStore dataPlanes, ConfigValidator validator,
                        Extensions extensions, Duration defaultRetention) {
        this.configs = configs;
        this.dataPlanes = dataPlanes;
        this.validator = validator;
        this.keys = extensions.keys();
        this.tokens = extensions.tokens();
        this.secrets = extensions.secrets();
        this.audit = extensions.audit();
        this.secretLookup = extensions.secretLookup();
        this.rollouts = extensions.rollouts();
        this.defaultRetention = defaultRetention;
    }

    @Override
    public void validate(ValidateRequest request, StreamObserver<ValidateResponse> out) {
        List<ValidationProblem> problems;
        try {
            problems = validator.validate(request.getConfig(), secretLookup);
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        respond(out, ValidateResponse.newBuilder()
                .setValid(problems.isEmpty())
                .addAllErrors(problems.stream().map(AdminMessages::validationError).toList())
                .addAllWarnings(ConfigValidator.warnings(request.getConfig(), secretLookup).stream()
                        .map(AdminMessages::validationError).toList())
                .build());
    }

    @Override
    public void apply(ApplyRequest request, StreamObserver<ApplyResponse> out) {
        call(out, () -> {
            // The authenticated principal, never the request's author field (a client's claim).
            String author = Principal.current().name();
            checkMessage(request.getMessage());
            List<ValidationProblem> problems = validator.validate(request.getConfig(), secretLookup);
            if (!problems.isEmpty()) {
                LOG.info(() -> "apply by " + LogText.escaped(author) + " rejected: " + problems.size()
                        + " problem(s), first: " + LogText.forLog(problems.getFirst().toString(), MAX_LOGGED_CHARS));
                ApplyResponse.Builder rejected = ApplyResponse.newBuilder()
                        .setOutcome(ApplyOutcome.REJECTED)
                        .addAllErrors(problems.stream().map(AdminMessages::validationError).toList());
                OptionalLong active = configs.activeVersion();
                if (active.isPresent()) {
                    rejected.setVersion(activeInfo(active.getAsLong()));
                }
                return rejected.build();
            }
            RolloutAdmin.Delivery delivery = RolloutAdmin.delivery(request.getRollout(),
                    request.getExpectChangesList(), request.getConfig());
            if (!delivery.problems().isEmpty()) {
                return rejectedPlan(delivery);
            }
            ApplyResult result = configs.apply(request.getConfig(), author, request.getMessage(),
                    stager(delivery, author, request.getMessage()));
            logWrite("apply", author, request.getMessage(), result);
            // Certificates expiring within 14 days: applied, and said so.
            return applyResponse(result).toBuilder().addAllWarnings(ConfigValidator.warnings(request.getConfig(),
                    secretLookup).stream().map(AdminMessages::validationError).toList()).build();
        });
    }

    @Override
    public void rollback(RollbackRequest request, StreamObserver<ApplyResponse> out) {
        call(out, () -> {
            if (request.getToVersion() <= 0) {
                throw Status.INVALID_ARGUMENT.withDescription("to_version must be a version number >= 1")
                        .asRuntimeException();
            }
            String author = Principal.current().name();
            checkMessage(request.getMessage());
            // The old version passed the rules of its day; what may have changed since is its secrets.
            List<ValidationProblem> problems = new java.util.ArrayList<>();
            io.gatehouse.controlplane.validate.ConfigValidator.checkSecrets(
                    configs.getVersion(request.getToVersion()).config(), secretLookup, problems);
            if (!problems.isEmpty()) {
                ApplyResponse.Builder rejected = ApplyResponse.newBuilder().setOutcome(ApplyOutcome.REJECTED)
                        .addAllErrors(problems.stream().map(AdminMessages::validationError).toList());
                configs.activeVersion().ifPresent(v -> rejected.setVersion(activeInfoUnchecked(v)));
                return rejected.build();
            }
            RolloutAdmin.Delivery delivery = RolloutAdmin.delivery(request.getRollout(),
                    request.getExpectChangesList(), configs.getVersion(request.getToVersion()).config());
            if (!delivery.problems().isEmpty()) {
                return rejectedPlan(delivery);
            }
            ApplyResult result = configs.rollback(request.getToVersion(), author, request.getMessage(),
                    stager(delivery, author, request.getMessage()));
            logWrite("rollback to " + request.getToVersion(), author, request.getMessage(), result);
            return applyResponse(result);
        });
    }

    /** REJECTED with every problem of the plan, path "rollout"; nothing was stored. */
    private ApplyResponse rejectedPlan(RolloutAdmin.Delivery delivery) {
        ApplyResponse.Builder rejected = ApplyResponse.newBuilder().setOutcome(ApplyOutcome.REJECTED);
        delivery.problems().forEach(p -> rejected.addErrors(AdminMessages.validationError(
                new ValidationProblem("rollout", p))));
        configs.activeVersion().ifPresent(v -> rejected.setVersion(activeInfoUnchecked(v)));
        return rejected.build();
    }

    /** Null (activate at once) without a plan; else what creates the rollout with the staged version. */
    private ConfigStore.Stager stager(RolloutAdmin.Delivery delivery, String author, String message) {
        if (delivery.plan().isEmpty()) {
            return null;
        }
        enabled(rollouts, "rollouts");
        return RolloutAdmin.stager(delivery.plan().get(), delivery.expectChanges(), author, message);
    }

    @Override
    public void getRollout(GetRolloutRequest request, StreamObserver<Rollout> out) {
        call(out, () -> enabled(rollouts, "rollouts").get(request));
    }

    @Override
    public void listRollouts(ListRolloutsRequest request, StreamObserver<ListRolloutsResponse> out) {
        call(out, () -> enabled(rollouts, "rollouts").list(request));
    }

    @Override
    public void controlRollout(ControlRolloutRequest request, StreamObserver<Rollout> out) {
        call(out, () -> enabled(rollouts, "rollouts").control(request, Principal.current().name()));
    }

    @Override
    public void listVersions(ListVersionsRequest request, StreamObserver<ListVersionsResponse> out) {
        call(out, () -> {
            if (request.getLimit() < 0) {
                throw Status.INVALID_ARGUMENT.withDescription("limit must not be negative").asRuntimeException();
            }
            int limit = request.getLimit() == 0 ? DEFAULT_LIMIT : Math.min(request.getLimit(), MAX_LIMIT);
            long active = configs.activeVersion().orElse(0);
            ListVersionsResponse.Builder response = ListVersionsResponse.newBuilder().setActiveVersion(active);
            for (VersionRecord record : configs.listVersions(limit)) {
                response.addVersions(AdminMessages.versionInfo(record, active));
            }
            return response.build();
        });
    }

    @Override
    public void getVersion(GetVersionRequest request, StreamObserver<ConfigVersion> out) {
        call(out, () -> {
            StoredConfig stored = configs.getVersion(request.getVersion());
            long active = configs.activeVersion().orElse(0);
            return ConfigVersion.newBuilder()
                    .setInfo(AdminMessages.versionInfo(stored.record(), active))
                    .setConfig(stored.config())
                    .build();
        });
    }

    @Override
    public void diff(DiffRequest request, StreamObserver<DiffResponse> out) {
        call(out, () -> {
            Side from = side(request.getFromVersion());
            Side to = switch (request.getToCase()) {
                case TO_CONFIG -> new Side(0, request.getToConfig());
                case TO_VERSION -> side(request.getToVersion());
                case TO_NOT_SET -> side(0);
            };
            return DiffResponse.newBuilder()
                    .setFromVersion(from.version())
                    .setToVersion(to.version())
                    .addAllEntries(ConfigDiff.diff(from.config(), to.config()))
                    .build();
        });
    }

    @Override
    public void listDataPlanes(ListDataPlanesRequest request, StreamObserver<ListDataPlanesResponse> out) {
        call(out, () -> {
            Optional<RolloutRow> rollout = rollouts == null ? Optional.empty() : rollouts.open();
            long active = configs.activeVersion().orElse(0);
            ListDataPlanesResponse.Builder response = ListDataPlanesResponse.newBuilder().setActiveVersion(active);
            rollout.ifPresent(r -> response.setRollout(rollouts.withShadow(r)));
            dataPlanes.list().forEach(dp -> response.addDataPlanes(AdminMessages.dataPlaneStatus(dp, active, rollout)));
            return response.build();
        });
    }

    @Override
    public void pruneDataPlanes(PruneDataPlanesRequest request, StreamObserver<PruneDataPlanesResponse> out) {
        call(out, () -> {
            Duration olderThan = request.hasOlderThan()
                    ? Duration.ofSeconds(request.getOlderThan().getSeconds(), request.getOlderThan().getNanos())
                    : defaultRetention;
            if (olderThan.isNegative()) {
                throw Status.INVALID_ARGUMENT.withDescription("older_than must not be negative").asRuntimeException();
            }
            List<String> removed = dataPlanes.prune(olderThan, request.getDryRun());
            if (!request.getDryRun() && !removed.isEmpty()) {
                LOG.info(() -> "pruned " + removed.size() + " data plane(s) disconnected for more than " + olderThan
                        + ": " + removed);
            }
            return PruneDataPlanesResponse.newBuilder()
                    .addAllRemoved(removed)
                    .setOlderThan(com.google.protobuf.Duration.newBuilder().setSeconds(olderThan.getSeconds())
                            .setNanos(olderThan.getNano()))
                    .build();
        });
    }

    @Override
    public void createApiKey(CreateApiKeyRequest request, StreamObserver<CreateApiKeyResponse> out) {
        call(out, () -> keyAdmin().create(request));
    }

    @Override
    public void listApiKeys(ListApiKeysRequest request, StreamObserver<ListApiKeysResponse> out) {
        call(out, () -> keyAdmin().list(request));
    }

    @Override
    public void revokeApiKey(RevokeApiKeyRequest request, StreamObserver<RevokeApiKeyResponse> out) {
        call(out, () -> keyAdmin().revoke(request));
    }

    @Override
    public void whoAmI(WhoAmIRequest request, StreamObserver<WhoAmIResponse> out) {
        Principal principal = Principal.current();
        respond(out, WhoAmIResponse.newBuilder().setPrincipal(principal.name()).setRole(principal.role().toProto())
                .setMethod(principal.methodLabel()).build());
    }

    @Override
    public void createToken(CreateTokenRequest request, StreamObserver<CreateTokenResponse> out) {
        call(out, () -> enabled(tokens, "admin tokens").create(request));
    }

    @Override
    public void listTokens(ListTokensRequest request, StreamObserver<ListTokensResponse> out) {
        call(out, () -> enabled(tokens, "admin tokens").list(request));
    }

    @Override
    public void revokeToken(RevokeTokenRequest request, StreamObserver<RevokeTokenResponse> out) {
        call(out, () -> enabled(tokens, "admin tokens").revoke(request));
    }

    @Override
    public void listAudit(ListAuditRequest request, StreamObserver<ListAuditResponse> out) {
        call(out, () -> {
            if (request.getLimit() < 0) {
                throw Status.INVALID_ARGUMENT.withDescription("limit must not be negative").asRuntimeException();
            }
            int limit = request.getLimit() == 0 ? DEFAULT_LIMIT : Math.min(request.getLimit(), MAX_LIMIT);
            ListAuditResponse.Builder response = ListAuditResponse.newBuilder();
            for (AuditLog.Entry e : enabled(audit, "the audit trail").list(limit)) {
                response.addEntries(AuditEntry.newBuilder().setId(e.id()).setAt(AdminMessages.timestamp(e.at()))
                        .setPrincipal(e.principal()).setAction(e.action()).setTarget(e.target()).setReason(e.reason()));
            }
            return response.build();
        });
    }

    @Override
    public void setSecret(SetSecretRequest request, StreamObserver<SetSecretResponse> out) {
        call(out, () -> enabled(secrets, "secrets").set(request));
    }

    @Override
    public void listSecrets(ListSecretsRequest request, StreamObserver<ListSecretsResponse> out) {
        call(out, () -> enabled(secrets, "secrets").list());
    }

    @Override
    public void deleteSecret(DeleteSecretRequest request, StreamObserver<DeleteSecretResponse> out) {
        call(out, () -> enabled(secrets, "secrets").delete(request));
    }

    @Override
    public void rotateKek(RotateKekRequest request, StreamObserver<RotateKekResponse> out) {
        call(out, () -> enabled(secrets, "secrets").rotateKek(request));
    }

    private static <T> T enabled(T part, String what) {
        if (part == null) {
            throw Status.UNIMPLEMENTED.withDescription(what + " are not enabled on this control plane")
                    .asRuntimeException();
        }
        return part;
    }

    private io.gatehouse.proto.admin.v1.VersionInfo activeInfoUnchecked(long active) {
        try {
            return activeInfo(active);
        } catch (VersionNotFoundException e) {
            throw new StoreException("active version " + active + " vanished", e);
        }
    }

    private KeyAdmin keyAdmin() {
        if (keys == null) {
            throw Status.UNIMPLEMENTED.withDescription("API keys are not enabled on this control plane")
                    .asRuntimeException();
        }
        return keys;
    }

    private record Side(long version, GatewayConfig config) {
    }

    /** A stored version; 0 = active, and "no active version yet" diffs as an empty config. */
    private Side side(long version) throws VersionNotFoundException {
        if (version == 0 && configs.activeVersion().isEmpty()) {
            return new Side(0, GatewayConfig.getDefaultInstance());
        }
        StoredConfig stored = configs.getVersion(version);
        return new Side(stored.version(), stored.config());
    }

    private io.gatehouse.proto.admin.v1.VersionInfo activeInfo(long active) throws VersionNotFoundException {
        return AdminMessages.versionInfo(configs.getVersion(active).record(), active);
    }

    private ApplyResponse applyResponse(ApplyResult result) {
        if (result.outcome() == ApplyResult.Outcome.STAGED) {
            // The staged version is not the active one; the rollout says what delivers it.
            Rollout rollout = rollouts.get(GetRolloutRequest.newBuilder().setId(result.rolloutId()).build());
            return ApplyResponse.newBuilder()
                    .setOutcome(ApplyOutcome.STAGED)
                    .setVersion(AdminMessages.versionInfo(result.active(), rollout.getFromVersion()))
                    .setRollout(rollout)
                    .build();
        }
        return ApplyResponse.newBuilder()
                .setOutcome(result.outcome() == ApplyResult.Outcome.APPLIED ? ApplyOutcome.APPLIED : ApplyOutcome.UNCHANGED)
                .setVersion(AdminMessages.versionInfo(result.active(), result.active().version()))
                .build();
    }

    /**
     * A change message is the operator's free text: it is stored with the version, listed by
     * {@code gatehouse versions} and logged, so its size is bounded (refused, not cut: the author
     * should know what was kept) and it is escaped wherever it is logged.
     */
    static void checkMessage(String message) {
        if (message.length() > MAX_MESSAGE_CHARS) {
            throw Status.INVALID_ARGUMENT.withDescription("message: at most " + MAX_MESSAGE_CHARS
                    + " characters (got " + message.length() + ")").asRuntimeException();
        }
    }

    private static void logWrite(String what, String author, String message, ApplyResult result) {
        if (result.outcome() == ApplyResult.Outcome.STAGED) {
            LOG.info(() -> what + " by " + LogText.escaped(author) + ": version " + result.active().version()
                    + " staged, delivered by rollout " + result.rolloutId());
        } else if (result.outcome() == ApplyResult.Outcome.APPLIED) {
            LOG.info(() -> what + " by " + LogText.escaped(author) + ": version " + result.active().version()
                    + " active (sha256 " + result.active().sha256().substring(0, 12) + ", parent "
                    + result.active().parentVersion() + ") \"" + LogText.escaped(message) + "\"");
        } else {
            LOG.info(() -> what + " by " + LogText.escaped(author) + ": unchanged, version "
                    + result.active().version() + " already has this content");
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws VersionNotFoundException;
    }

    private static <T> void call(StreamObserver<T> out, Call<T> body) {
        T response;
        try {
            response = body.run();
        } catch (VersionNotFoundException e) {
            out.onError(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        } catch (RolloutInProgressException e) {
            out.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (StoreException e) {
            LOG.log(Level.WARNING, "admin call failed: " + e.getMessage(), e);
            out.onError(Status.UNAVAILABLE.withDescription("control plane database unavailable: " + e.getMessage())
                    .asRuntimeException());
            return;
        }
        respond(out, response);
    }

    private static <T> void respond(StreamObserver<T> out, T response) {
        out.onNext(response);
        out.onCompleted();
    }
}
