package io.gatehouse.controlplane.secrets;

import com.google.protobuf.Timestamp;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.store.VersionNotFoundException;
import io.gatehouse.controlplane.trust.Principal;
import io.gatehouse.proto.admin.v1.DeleteSecretRequest;
import io.gatehouse.proto.admin.v1.DeleteSecretResponse;
import io.gatehouse.proto.admin.v1.ListSecretsResponse;
import io.gatehouse.proto.admin.v1.RotateKekRequest;
import io.gatehouse.proto.admin.v1.RotateKekResponse;
import io.gatehouse.proto.admin.v1.SecretInfo;
import io.gatehouse.proto.admin.v1.SetSecretRequest;
import io.gatehouse.proto.admin.v1.SetSecretResponse;
import io.grpc.Status;

import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The secret operations of the admin API (set, list, delete, re-wrap under a rotated KEK), on behalf
 * of the current {@link Principal}. Values go in, never out: no response and no log line carries one.
 * Thread-safe.
 */
public final class SecretAdmin {

    private static final Logger LOG = Logger.getLogger(SecretAdmin.class.getName());
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    public static final int MAX_BYTES = 64 * 1024;

    private final SecretStore secrets;
    private final ConfigStore configs;

    /** The candidate version of the rollout in progress, if any: its secrets are in use too. */
    private final java.util.function.Supplier<OptionalLong> candidate;

    public SecretAdmin(SecretStore secrets, ConfigStore configs) {
        this(secrets, configs, OptionalLong::empty);
    }

    public SecretAdmin(SecretStore secrets, ConfigStore configs, java.util.function.Supplier<OptionalLong> candidate) {
        this.secrets = secrets;
        this.configs = configs;
        this.candidate = candidate;
    }

    public SetSecretResponse set(SetSecretRequest request) {
        String name = checkName(request.getName());
        if (request.getValue().isEmpty()) {
            throw invalid("the value is empty");
        }
        if (request.getValue().size() > MAX_BYTES) {
            throw invalid("the value is " + request.getValue().size() + " bytes; at most " + MAX_BYTES);
        }
        Principal principal = Principal.current();
        SecretStore.Set result = secrets.set(name, request.getValue().toByteArray(), principal.name(),
                request.getReason());
        if (result.changed()) {
            LOG.info(() -> "secret " + name + " set to version " + result.secret().version() + " by " + principal.name());
        }
        return SetSecretResponse.newBuilder().setInfo(info(result.secret())).setChanged(result.changed()).build();
    }

    public ListSecretsResponse list() {
        ListSecretsResponse.Builder response = ListSecretsResponse.newBuilder();
        secrets.list().forEach(s -> response.addSecrets(info(s)));
        return response.build();
    }

    public DeleteSecretResponse delete(DeleteSecretRequest request) throws VersionNotFoundException {
        String name = checkName(request.getName());
        refuseIfReferred(name, configs.activeVersion(), "the active config");
        // A rollout's candidate runs on some data planes and will run on all: without the secret it
        // could not be sent to anyone, and the rollout would stall.
        refuseIfReferred(name, candidate.get(), "the candidate of the rollout in progress");
        Principal principal = Principal.current();
        if (!secrets.delete(name, principal.name(), request.getReason())) {
            throw Status.NOT_FOUND.withDescription("no secret named '" + name + "'").asRuntimeException();
        }
        LOG.info(() -> "secret " + name + " deleted by " + principal.name());
        return DeleteSecretResponse.getDefaultInstance();
    }

    private void refuseIfReferred(String name, OptionalLong version, String what) throws VersionNotFoundException {
        if (version.isEmpty()) {
            return;
        }
        for (Map.Entry<String, String> ref : SecretReferences.byPath(configs.getVersion(version.getAsLong()).config())
                .entrySet()) {
            if (ref.getValue().equals(name)) {
                throw Status.FAILED_PRECONDITION.withDescription(what + " (version " + version.getAsLong()
                        + ") refers to secret '" + name + "' at " + ref.getKey()
                        + "; apply a config without it first").asRuntimeException();
            }
        }
    }

    public RotateKekResponse rotateKek(RotateKekRequest request) {
        Principal principal = Principal.current();
        SecretStore.Rewrapped result = secrets.rewrapAll(principal.name(), request.getReason());
        LOG.info(() -> result.count() + " secret data key(s) re-wrapped with KEK key " + result.primaryKeyId()
                + " by " + principal.name());
        return RotateKekResponse.newBuilder().setRewrapped(result.count()).setPrimaryKeyId(result.primaryKeyId()).build();
    }

    private static String checkName(String raw) {
        String name = raw.strip();
        if (!NAME.matcher(name).matches()) {
            throw invalid("secret name must match [a-z0-9][a-z0-9._-]{0,62}, not '" + name + "'");
        }
        return name;
    }

    static SecretInfo info(SecretRecord s) {
        return SecretInfo.newBuilder()
                .setName(s.name())
                .setVersion(s.version())
                .setUpdatedAt(timestamp(s.updatedAt()))
                .setUpdatedBy(s.updatedBy())
                .setKekKeyId(s.kekKeyId())
                .setSizeBytes(s.sizeBytes())
                .build();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    private static io.grpc.StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}
