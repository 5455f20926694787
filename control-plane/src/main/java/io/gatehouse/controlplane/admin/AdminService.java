package io.gatehouse.controlplane.admin;

import io.gatehouse.controlplane.keys.KeyAdmin;
import io.gatehouse.controlplane.store.ApplyResult;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.store.DataPlaneStore;
import io.gatehouse.controlplane.store.StoreException;
import io.gatehouse.controlplane.store.StoredConfig;
import io.gatehouse.controlplane.store.VersionNotFoundException;
import io.gatehouse.controlplane.store.VersionRecord;
import io.gatehouse.controlplane.validate.ConfigValidator;
import io.gatehouse.controlplane.validate.ValidationProblem;
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
import java.util.OptionalLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The operator API (admin.proto): validate, apply, inspect, diff and roll back config versions,
 * and list data plane status. Validation failures are answers (outcome REJECTED with every
 * problem), not gRPC errors; unknown versions are NOT_FOUND; database trouble is UNAVAILABLE.
 * Thread-safe.
 */
public final class AdminService extends AdminServiceGrpc.AdminServiceImplBase {

    private static final Logger LOG = Logger.getLogger(AdminService.class.getName());
    private static final int DEFAULT_LIMIT = 50;
    private static final int MAX_LIMIT = 1000;

    private final ConfigStore configs;
    private final DataPlaneStore dataPlanes;
    private final ConfigValidator validator;
    /** Null when this service was built without the key store (key RPCs are then UNIMPLEMENTED). */
    private final KeyAdmin keys;
    /** {@code PruneDataPlanes} without {@code older_than} removes data planes disconnected longer than this. */
    private final Duration defaultRetention;

    public AdminService(ConfigStore configs, DataPlaneStore dataPlanes, ConfigValidator validator) {
        this(configs, dataPlanes, validator, null, Duration.ofHours(24));
    }

    public AdminService(ConfigStore configs, DataPlaneStore dataPlanes, ConfigValidator validator, KeyAdmin keys,
                        Duration defaultRetention) {
        this.configs = configs;
        this.dataPlanes = dataPlanes;
        this.validator = validator;
        this.keys = keys;
        this.defaultRetention = defaultRetention;
    }

    @Override
    public void validate(ValidateRequest request, StreamObserver<ValidateResponse> out) {
        List<ValidationProblem> problems = validator.validate(request.getConfig());
        respond(out, ValidateResponse.newBuilder()
                .setValid(problems.isEmpty())
                .addAllErrors(problems.stream().map(AdminMessages::validationError).toList())
                .build());
    }

    @Override
    public void apply(ApplyRequest request, StreamObserver<ApplyResponse> out) {
        call(out, () -> {
            String author = authorOf(request.getAuthor());
            List<ValidationProblem> problems = validator.validate(request.getConfig());
            if (!problems.isEmpty()) {
                LOG.info(() -> "apply by " + author + " rejected: " + problems.size() + " problem(s), first: "
                        + problems.getFirst());
                ApplyResponse.Builder rejected = ApplyResponse.newBuilder()
                        .setOutcome(ApplyOutcome.REJECTED)
                        .addAllErrors(problems.stream().map(AdminMessages::validationError).toList());
                OptionalLong active = configs.activeVersion();
                if (active.isPresent()) {
                    rejected.setVersion(activeInfo(active.getAsLong()));
                }
                return rejected.build();
            }
            ApplyResult result = configs.apply(request.getConfig(), author, request.getMessage());
            logWrite("apply", author, request.getMessage(), result);
            return applyResponse(result);
        });
    }

    @Override
    public void rollback(RollbackRequest request, StreamObserver<ApplyResponse> out) {
        call(out, () -> {
            if (request.getToVersion() <= 0) {
                throw Status.INVALID_ARGUMENT.withDescription("to_version must be a version number >= 1")
                        .asRuntimeException();
            }
            String author = authorOf(request.getAuthor());
            ApplyResult result = configs.rollback(request.getToVersion(), author, request.getMessage());
            logWrite("rollback to " + request.getToVersion(), author, request.getMessage(), result);
            return applyResponse(result);
        });
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
            long active = configs.activeVersion().orElse(0);
            ListDataPlanesResponse.Builder response = ListDataPlanesResponse.newBuilder().setActiveVersion(active);
            dataPlanes.list().forEach(dp -> response.addDataPlanes(AdminMessages.dataPlaneStatus(dp, active)));
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

    private static ApplyResponse applyResponse(ApplyResult result) {
        return ApplyResponse.newBuilder()
                .setOutcome(result.outcome() == ApplyResult.Outcome.APPLIED ? ApplyOutcome.APPLIED : ApplyOutcome.UNCHANGED)
                .setVersion(AdminMessages.versionInfo(result.active(), result.active().version()))
                .build();
    }

    private static void logWrite(String what, String author, String message, ApplyResult result) {
        if (result.outcome() == ApplyResult.Outcome.APPLIED) {
            LOG.info(() -> what + " by " + author + ": version " + result.active().version() + " active (sha256 "
                    + result.active().sha256().substring(0, 12) + ", parent " + result.active().parentVersion()
                    + ") \"" + message + "\"");
        } else {
            LOG.info(() -> what + " by " + author + ": unchanged, version " + result.active().version()
                    + " already has this content");
        }
    }

    private static String authorOf(String author) {
        return author.isBlank() ? "unknown" : author.strip();
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
