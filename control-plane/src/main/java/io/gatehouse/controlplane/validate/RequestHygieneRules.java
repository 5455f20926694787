package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.PathNormalization;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rules for request normalization and header hygiene ({@code settings.pathNormalization},
 * {@code routes[i].pathNormalization}, {@code settings.identityHeaders}, {@code settings.underscoreHeaders},
 * {@code settings.clientAddressHeader}): enum values this release knows, identity header names that are
 * header tokens, not duplicated and not one the gateway writes itself, at most {@link #MAX_IDENTITY_HEADERS}.
 * The data plane applies them in its {@code request} package.
 */
final class RequestHygieneRules {

    static final int MAX_IDENTITY_HEADERS = 64;
    /** Headers the gateway always sets itself on the upstream request; listing them would suggest otherwise. */
    private static final Set<String> GATEWAY_OWN = Set.of("host", "x-forwarded-for", "forwarded", "x-forwarded-host",
            "x-forwarded-proto", "x-request-id", "via", "x-gatehouse-attempt");

    private RequestHygieneRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        GatewaySettings settings = config.getSettings();
        if (settings.hasPathNormalization()) {
            check("settings.pathNormalization", settings.getPathNormalization(), problems);
        }
        for (int i = 0; i < config.getRoutesCount(); i++) {
            if (config.getRoutes(i).hasPathNormalization()) {
                check("routes[" + i + "].pathNormalization", config.getRoutes(i).getPathNormalization(), problems);
            }
        }
        if (settings.getUnderscoreHeadersValue() < 0 || settings.getUnderscoreHeadersValue() > 2) {
            problems.add(new ValidationProblem("settings.underscoreHeaders", "unknown value "
                    + settings.getUnderscoreHeadersValue()));
        }
        if (settings.getClientAddressHeaderValue() < 0 || settings.getClientAddressHeaderValue() > 1) {
            problems.add(new ValidationProblem("settings.clientAddressHeader", "unknown value "
                    + settings.getClientAddressHeaderValue()));
        }
        if (settings.hasIdentityHeaders()) {
            checkIdentityHeaders(settings.getIdentityHeaders().getNamesList(), problems);
        }
    }

    private static void check(String path, PathNormalization rules, List<ValidationProblem> problems) {
        if (rules.getDuplicateSlashesValue() < 0 || rules.getDuplicateSlashesValue() > 3) {
            problems.add(new ValidationProblem(path + ".duplicateSlashes", "unknown value "
                    + rules.getDuplicateSlashesValue()));
        }
        if (rules.getEncodedSeparatorsValue() < 0 || rules.getEncodedSeparatorsValue() > 2) {
            problems.add(new ValidationProblem(path + ".encodedSeparators", "unknown value "
                    + rules.getEncodedSeparatorsValue()));
        }
    }

    private static void checkIdentityHeaders(List<String> names, List<ValidationProblem> problems) {
        String path = "settings.identityHeaders.names";
        if (names.size() > MAX_IDENTITY_HEADERS) {
            problems.add(new ValidationProblem(path, "at most " + MAX_IDENTITY_HEADERS + " names, not " + names.size()));
            return;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String itemPath = path + "[" + i + "]";
            String lower = name.toLowerCase(Locale.ROOT);
            if (name.length() > 256 || !RouteMatchRules.TOKEN.matcher(name).matches()) {
                problems.add(new ValidationProblem(itemPath, "must be a header name (an RFC 9110 token)"));
            } else if (GATEWAY_OWN.contains(lower)) {
                problems.add(new ValidationProblem(itemPath, "'" + name + "' is set by the gateway itself on every"
                        + " upstream request; it need not be listed"));
            } else if (seen.putIfAbsent(lower, i) != null) {
                problems.add(new ValidationProblem(itemPath, "duplicate of names[" + seen.get(lower) + "]"));
            }
        }
    }
}
