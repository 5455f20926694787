package io.gatehouse.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.gatehouse.proto.config.v1.GatewayConfig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Converts a {@link GatewayConfig} to and from its document forms: YAML (what operators write),
 * canonical JSON (what the control plane stores and hashes) and back.
 *
 * <p>The document form is the proto3 JSON mapping: lowerCamelCase keys, durations as strings
 * such as {@code "1.5s"} (on input also {@code 250ms}, {@code 2m}, {@code 1h30m}), enums by name. Unknown keys are errors, so a typo never silently
 * disappears. Thread-safe and stateless.
 */
public final class ConfigDocuments {

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();
    // Field order is proto field-number order, so the output is stable for equal messages.
    private static final JsonFormat.Printer CANONICAL = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Printer PRETTY = JsonFormat.printer();

    private ConfigDocuments() {
    }

    /** Parses a YAML document. An empty document is an empty config. */
    public static GatewayConfig fromYaml(String yaml) throws ConfigFormatException {
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigFormatException("not valid YAML: " + e.getOriginalMessage()
                    + location(e), e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            return GatewayConfig.getDefaultInstance();
        }
        if (!tree.isObject()) {
            throw new ConfigFormatException("the document must be a mapping with keys such as"
                    + " 'upstreams' and 'routes', not a " + tree.getNodeType().name().toLowerCase());
        }
        return fromTree(tree);
    }

    /**
     * Parses a JSON document in the proto3 JSON mapping; durations may also be written
     * {@code 250ms}, {@code 2m}, {@code 1h30m}.
     */
    public static GatewayConfig fromJson(String json) throws ConfigFormatException {
        try {
            return fromTree(JSON.readTree(json));
        } catch (JsonProcessingException e) {
            throw new ConfigFormatException("not valid JSON: " + e.getOriginalMessage() + location(e), e);
        }
    }

    /**
     * Reads a document that {@link #toCanonicalJson} wrote (what the control plane stores): straight
     * into the protobuf JSON parser, without {@link #fromJson}'s Jackson tree, human-duration pass and
     * re-printing, which it does not need and which took about half the time of loading a 10k-route
     * version (the control plane loads each new version once per replica; bench/fleet.sh profile,
     * 2026-12-01). Anything that parser refuses takes the {@link #fromJson} path.
     */
    public static GatewayConfig fromCanonicalJson(String json) throws ConfigFormatException {
        GatewayConfig.Builder builder = GatewayConfig.newBuilder();
        try {
            PARSER.merge(json, builder);
            return builder.build();
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return fromJson(json);
        }
    }

    private static GatewayConfig fromTree(JsonNode tree) throws ConfigFormatException {
        HumanDurations.normalize(tree, GatewayConfig.getDescriptor());
        GatewayConfig.Builder builder = GatewayConfig.newBuilder();
        try {
            PARSER.merge(tree.toString(), builder);
        } catch (InvalidProtocolBufferException e) {
            throw new ConfigFormatException(e.getMessage(), e);
        }
        return builder.build();
    }

    /** Canonical compact JSON: equal configs give equal strings. This is what is stored and hashed. */
    public static String toCanonicalJson(GatewayConfig config) {
        try {
            return CANONICAL.print(config);
        } catch (InvalidProtocolBufferException e) {
            // Only possible with unresolvable Any types, which the model does not use.
            throw new IllegalStateException(e);
        }
    }

    /** Indented JSON for humans. */
    public static String toPrettyJson(GatewayConfig config) {
        try {
            return PRETTY.print(config);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** YAML for humans, in the same shape {@link #fromYaml} reads. */
    public static String toYaml(GatewayConfig config) {
        try {
            return YAML.writeValueAsString(JSON.readTree(toCanonicalJson(config)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lower-case hex SHA-256 of {@link #toCanonicalJson}: the identity of a config's content. */
    public static String sha256(GatewayConfig config) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] hash = digest.digest(toCanonicalJson(config).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JRE has SHA-256", e);
        }
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }
}
