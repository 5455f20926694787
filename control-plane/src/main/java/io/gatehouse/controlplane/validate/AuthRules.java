package io.gatehouse.controlplane.validate;

import com.google.protobuf.Duration;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.gatehouse.config.IpLiterals;
import io.gatehouse.proto.config.v1.ApiKeyAuth;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.ClaimHeaderEncoding;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.Route;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.text.ParseException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Validates authentication config: {@code jwtProviders}, {@code consumers} and every route's
 * {@code auth}. Stateless.
 *
 * <p>A JWKS URL must be https, so keys cannot be swapped by anyone on the path; plain http is
 * accepted only for loopback hosts (localhost, 127.0.0.0/8, ::1), which tests and sidecar
 * setups use. HS (shared secret) algorithms need inline {@code oct} keys: a JWKS URL publishes
 * public keys and must not serve secrets.
 */
final class AuthRules {

    static final Duration MAX_CLOCK_SKEW = Duration.newBuilder().setSeconds(300).build();
    private static final long MAX_CACHE_TTL_SECONDS = 86_400;
    /** RFC 9110 §5.1 field names (token). */
    static final Pattern HEADER = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]{1,64}");
    private static final Pattern QUERY_PARAM = Pattern.compile("[A-Za-z0-9._~\\-]{1,64}");
    /** RFC 6749 §3.3 scope tokens. */
    private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");
    /** Claim names forwarded in headers: printable ASCII without '"' and '\\'. */
    private static final Pattern CLAIM_NAME = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");
    /** Headers a claim must not be mapped onto: framing, routing and the credentials themselves. */
    static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "transfer-encoding",
            "connection", "te", "upgrade", "authorization", "cookie", "x-forwarded-for", "forwarded");
    /** Nimbus' MAC verifier needs at least 256-bit secrets (RFC 7518 §3.2). */
    private static final int MIN_HMAC_BITS = 256;

    private AuthRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        Set<String> providers = checkProviders(config.getJwtProvidersList(), problems);
        checkConsumers(config.getConsumersList(), providers, problems);
        for (int i = 0; i < config.getRoutesCount(); i++) {
            Route route = config.getRoutes(i);
            if (route.hasAuth()) {
                checkRouteAuth("routes[" + i + "].auth", route.getAuth(), providers, problems);
            }
        }
    }

    private static Set<String> checkProviders(List<JwtProvider> providers, List<ValidationProblem> problems) {
        Map<String, Integer> firstByName = new HashMap<>();
        for (int i = 0; i < providers.size(); i++) {
            JwtProvider provider = providers.get(i);
            String path = "jwtProviders[" + i + "]";
            checkName(path + ".name", provider.getName(), "JWT provider name", "jwtProviders", firstByName, i, problems);
            if (provider.getIssuer().isBlank()) {
                problems.add(new ValidationProblem(path + ".issuer", "is required (the expected \"iss\" claim)"));
            }
            for (int a = 0; a < provider.getAudiencesCount(); a++) {
                if (provider.getAudiences(a).isBlank()) {
                    problems.add(new ValidationProblem(path + ".audiences[" + a + "]", "must not be empty"));
                }
            }
            Set<JwsAlgorithm> algorithms = checkAlgorithms(path, provider, problems);
            switch (provider.getKeysCase()) {
                case JWKS_URL -> checkJwksUrl(path + ".jwksUrl", provider.getJwksUrl(), algorithms, problems);
                case JWKS_JSON -> checkInlineKeys(path + ".jwksJson", provider.getJwksJson(), algorithms, false,
                        problems);
                // Whether the secret exists and what it holds is checked with the secrets at hand (SecretRules).
                case JWKS_SECRET -> {
                    if (!ConfigValidator.NAME.matcher(provider.getJwksSecret()).matches()) {
                        problems.add(new ValidationProblem(path + ".jwksSecret",
                                "must be a secret name ([a-z0-9][a-z0-9._-]{0,62})"));
                    }
                }
                case KEYS_NOT_SET -> problems.add(new ValidationProblem(path,
                        "needs its keys: set jwksUrl, jwksJson (public keys) or jwksSecret"));
            }
            if (provider.hasClockSkew()) {
                Duration skew = provider.getClockSkew();
                if (skew.getSeconds() < 0 || skew.getNanos() < 0 || compare(skew, MAX_CLOCK_SKEW) > 0) {
                    problems.add(new ValidationProblem(path + ".clockSkew", "must be between 0s and 5m"));
                }
            }
            if (provider.hasJwksCacheTtl()) {
                Duration ttl = provider.getJwksCacheTtl();
                if (ttl.getSeconds() < 1 || ttl.getSeconds() > MAX_CACHE_TTL_SECONDS) {
                    problems.add(new ValidationProblem(path + ".jwksCacheTtl", "must be between 1s and 24h"));
                }
            }
            for (int c = 0; c < provider.getRequiredClaimsCount(); c++) {
                if (provider.getRequiredClaims(c).isBlank()) {
                    problems.add(new ValidationProblem(path + ".requiredClaims[" + c + "]", "must not be empty"));
                }
            }
            checkClaimsToHeaders(path, provider, problems);
        }
        return firstByName.keySet();
    }

    /**
     * Claim names must be printable ASCII without quotes or backslashes (a 401 names the claim
     * that could not be forwarded, inside a quoted WWW-Authenticate parameter); each header carries
     * one claim (two claims on one header would make its value depend on map order).
     */
    private static void checkClaimsToHeaders(String path, JwtProvider provider, List<ValidationProblem> problems) {
        Map<String, String> claimByHeader = new HashMap<>();
        for (Map.Entry<String, String> mapping : new TreeMap<>(provider.getClaimsToHeadersMap()).entrySet()) {
            String at = path + ".claimsToHeaders." + mapping.getKey();
            if (mapping.getKey().isBlank()) {
                problems.add(new ValidationProblem(at, "claim name must not be empty"));
            } else if (!CLAIM_NAME.matcher(mapping.getKey()).matches()) {
                problems.add(new ValidationProblem(at, "claim name must be 1-128 printable ASCII characters"
                        + " without quotes or backslashes"));
            }
            String header = mapping.getValue();
            if (!HEADER.matcher(header).matches()) {
                problems.add(new ValidationProblem(at, "'" + header + "' is not a valid header name"));
            } else if (RESERVED_HEADERS.contains(header.toLowerCase(Locale.ROOT))) {
                problems.add(new ValidationProblem(at, "header '" + header + "' cannot carry a claim"));
            } else {
                String earlier = claimByHeader.putIfAbsent(header.toLowerCase(Locale.ROOT), mapping.getKey());
                if (earlier != null) {
                    problems.add(new ValidationProblem(at, "header '" + header + "' already carries claim '"
                            + earlier + "'; map each claim to its own header"));
                }
            }
        }
        if (provider.getClaimHeaderEncoding() == ClaimHeaderEncoding.UNRECOGNIZED) {
            problems.add(new ValidationProblem(path + ".claimHeaderEncoding",
                    "must be REJECT_UNSAFE, RFC8187 or BASE64"));
        }
    }

    private static Set<JwsAlgorithm> checkAlgorithms(String path, JwtProvider provider,
                                                     List<ValidationProblem> problems) {
        Set<JwsAlgorithm> algorithms = new HashSet<>();
        if (provider.getAlgorithmsCount() == 0) {
            problems.add(new ValidationProblem(path + ".algorithms",
                    "must list the accepted algorithms (e.g. [RS256]); \"none\" is never accepted"));
        }
        for (int a = 0; a < provider.getAlgorithmsCount(); a++) {
            JwsAlgorithm algorithm = provider.getAlgorithms(a);
            if (algorithm == JwsAlgorithm.JWS_ALGORITHM_UNSPECIFIED || algorithm == JwsAlgorithm.UNRECOGNIZED) {
                problems.add(new ValidationProblem(path + ".algorithms[" + a + "]",
                        "must be one of HS256, HS384, HS512, RS256, PS256, ES256"));
            } else if (!algorithms.add(algorithm)) {
                problems.add(new ValidationProblem(path + ".algorithms[" + a + "]", "duplicate " + algorithm));
            }
        }
        return algorithms;
    }

    private static void checkJwksUrl(String path, String url, Set<JwsAlgorithm> algorithms,
                                     List<ValidationProblem> problems) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            problems.add(new ValidationProblem(path, "is not a valid URL: " + e.getReason()));
            return;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            problems.add(new ValidationProblem(path, "must be an absolute https URL"));
            return;
        }
        if (uri.getUserInfo() != null || uri.getFragment() != null) {
            problems.add(new ValidationProblem(path, "must not contain user info or a fragment"));
        }
        if (scheme.equals("http") && !isLoopback(uri.getHost())) {
            problems.add(new ValidationProblem(path,
                    "must use https (plain http is allowed only for loopback hosts)"));
        }
        if (algorithms.stream().anyMatch(AuthRules::isHmac)) {
            problems.add(new ValidationProblem(path, "HS algorithms need shared secrets, kept in a secret"
                    + " (jwksSecret); a JWKS URL only publishes public keys"));
        }
    }

    private static boolean isLoopback(String host) {
        // Only literal addresses: never resolve names during validation.
        return host.equalsIgnoreCase("localhost")
                || IpLiterals.parse(host).map(InetAddress::isLoopbackAddress).orElse(false);
    }

    /**
     * Checks a JWKS document: inline in the config ({@code secretsAllowed} false: shared "oct" keys are
     * refused, since every config version stores the document in plain text) or the value of a secret.
     */
    static void checkInlineKeys(String path, String json, Set<JwsAlgorithm> algorithms, boolean secretsAllowed,
                                List<ValidationProblem> problems) {
        JWKSet keys;
        try {
            keys = JWKSet.parse(json);
        } catch (ParseException e) {
            problems.add(new ValidationProblem(path, "is not a valid JWKS document: " + e.getMessage()));
            return;
        }
        if (keys.getKeys().isEmpty()) {
            problems.add(new ValidationProblem(path, "contains no keys"));
            return;
        }
        for (int k = 0; k < keys.getKeys().size(); k++) {
            JWK key = keys.getKeys().get(k);
            String at = path + ".keys[" + k + "]";
            if (key.isPrivate() && !(key instanceof OctetSequenceKey)) {
                problems.add(new ValidationProblem(at, "contains a private key; give only the public part"));
            }
            if (key instanceof OctetSequenceKey && !secretsAllowed) {
                problems.add(new ValidationProblem(at, "is a shared secret (\"oct\" key): inline it would be stored"
                        + " in plain text in every config version; put the JWKS in a secret (gatehouse secrets set NAME"
                        + " --from-file jwks.json) and refer to it with jwksSecret: NAME"));
            } else if (key instanceof OctetSequenceKey oct && oct.size() < MIN_HMAC_BITS) {
                problems.add(new ValidationProblem(at, "HMAC secret is " + oct.size() + " bits; at least "
                        + MIN_HMAC_BITS + " are required"));
            }
            if (key.getAlgorithm() != null && algorithms.stream()
                    .noneMatch(a -> a.name().equals(key.getAlgorithm().getName()))) {
                problems.add(new ValidationProblem(at, "is for algorithm " + key.getAlgorithm().getName()
                        + ", which is not in algorithms"));
            }
        }
        for (JwsAlgorithm algorithm : algorithms) {
            if (keys.getKeys().stream().noneMatch(key -> fits(algorithm, key))) {
                problems.add(new ValidationProblem(path, "has no key usable with " + algorithm + " (needs "
                        + expectedKey(algorithm) + ")"));
            }
        }
    }

    static boolean isHmac(JwsAlgorithm algorithm) {
        return algorithm == JwsAlgorithm.HS256 || algorithm == JwsAlgorithm.HS384 || algorithm == JwsAlgorithm.HS512;
    }

    private static boolean fits(JwsAlgorithm algorithm, JWK key) {
        return switch (algorithm) {
            case HS256, HS384, HS512 -> key.getKeyType().equals(KeyType.OCT);
            case RS256, PS256 -> key.getKeyType().equals(KeyType.RSA);
            case ES256 -> key instanceof ECKey ec && ec.getCurve() != null && "P-256".equals(ec.getCurve().getName());
            default -> false;
        };
    }

    private static String expectedKey(JwsAlgorithm algorithm) {
        return switch (algorithm) {
            case HS256, HS384, HS512 -> "an \"oct\" key";
            case RS256, PS256 -> "an \"RSA\" key";
            default -> "an \"EC\" P-256 key";
        };
    }

    private static void checkConsumers(List<Consumer> consumers, Set<String> providers,
                                       List<ValidationProblem> problems) {
        Map<String, Integer> firstByName = new HashMap<>();
        for (int i = 0; i < consumers.size(); i++) {
            Consumer consumer = consumers.get(i);
            String path = "consumers[" + i + "]";
            checkName(path + ".name", consumer.getName(), "consumer name", "consumers", firstByName, i, problems);
            if (consumer.getTenant().length() > 63) {
                problems.add(new ValidationProblem(path + ".tenant", "must be at most 63 characters"));
            }
            if (consumer.getPlan().length() > 63) {
                problems.add(new ValidationProblem(path + ".plan", "must be at most 63 characters"));
            }
            Set<String> bound = new HashSet<>();
            for (int p = 0; p < consumer.getJwtProvidersCount(); p++) {
                String name = consumer.getJwtProviders(p);
                String at = path + ".jwtProviders[" + p + "]";
                if (!providers.contains(name)) {
                    problems.add(new ValidationProblem(at, "unknown JWT provider '" + name + "'"));
                } else if (!bound.add(name)) {
                    problems.add(new ValidationProblem(at, "duplicate JWT provider '" + name + "'"));
                }
            }
        }
    }

    private static void checkRouteAuth(String path, AuthPolicy auth, Set<String> providers,
                                       List<ValidationProblem> problems) {
        if (auth.getJwtProvidersCount() == 0 && !auth.hasApiKey() && !auth.hasClientCert()) {
            problems.add(new ValidationProblem(path, "must accept JWTs (jwtProviders), API keys (apiKey) or client"
                    + " certificates (clientCert)"));
        }
        if (auth.hasClientCert()) {
            HttpsRules.checkClientCert(path + ".clientCert", auth.getClientCert(), problems);
        }
        Set<String> seen = new HashSet<>();
        for (int p = 0; p < auth.getJwtProvidersCount(); p++) {
            String name = auth.getJwtProviders(p);
            String at = path + ".jwtProviders[" + p + "]";
            if (!providers.contains(name)) {
                problems.add(new ValidationProblem(at, "unknown JWT provider '" + name + "'"));
            } else if (!seen.add(name)) {
                problems.add(new ValidationProblem(at, "duplicate JWT provider '" + name + "'"));
            }
        }
        if (auth.hasApiKey()) {
            checkApiKey(path + ".apiKey", auth.getApiKey(), problems);
        }
        for (int s = 0; s < auth.getRequiredScopesCount(); s++) {
            if (!SCOPE.matcher(auth.getRequiredScopes(s)).matches()) {
                problems.add(new ValidationProblem(path + ".requiredScopes[" + s + "]",
                        "'" + auth.getRequiredScopes(s) + "' is not a valid scope token"));
            }
        }
        if (auth.getRequiredClaimsCount() > 0 && auth.getJwtProvidersCount() == 0) {
            problems.add(new ValidationProblem(path + ".requiredClaims",
                    "only JWTs carry claims: add jwtProviders or remove requiredClaims"));
        }
        for (String claim : auth.getRequiredClaimsMap().keySet()) {
            if (claim.isBlank()) {
                problems.add(new ValidationProblem(path + ".requiredClaims", "claim name must not be empty"));
            }
        }
    }

    private static void checkApiKey(String path, ApiKeyAuth apiKey, List<ValidationProblem> problems) {
        String header = apiKey.getHeader();
        if (!header.isEmpty()) {
            if (!HEADER.matcher(header).matches()) {
                problems.add(new ValidationProblem(path + ".header", "'" + header + "' is not a valid header name"));
            } else if (RESERVED_HEADERS.contains(header.toLowerCase(Locale.ROOT))) {
                problems.add(new ValidationProblem(path + ".header", "header '" + header
                        + "' cannot carry API keys; use a dedicated one such as x-api-key"));
            }
        }
        String param = apiKey.getQueryParam();
        if (!param.isEmpty() && !QUERY_PARAM.matcher(param).matches()) {
            problems.add(new ValidationProblem(path + ".queryParam",
                    "'" + param + "' must be 1-64 characters of A-Z a-z 0-9 . _ ~ -"));
        }
    }

    private static void checkName(String path, String name, String what, String listName,
                                  Map<String, Integer> firstByName, int index, List<ValidationProblem> problems) {
        if (name.isEmpty()) {
            problems.add(new ValidationProblem(path, "is required"));
            return;
        }
        if (!ConfigValidator.NAME.matcher(name).matches()) {
            problems.add(new ValidationProblem(path, what + " '" + name
                    + "' must match [a-z0-9][a-z0-9-_.]{0,62} (lower case, at most 63 characters)"));
        }
        Integer earlier = firstByName.putIfAbsent(name, index);
        if (earlier != null) {
            problems.add(new ValidationProblem(path, "duplicate " + what + " '" + name + "' (also "
                    + listName + "[" + earlier + "])"));
        }
    }

    private static int compare(Duration a, Duration b) {
        int bySeconds = Long.compare(a.getSeconds(), b.getSeconds());
        return bySeconds != 0 ? bySeconds : Integer.compare(a.getNanos(), b.getNanos());
    }
}
