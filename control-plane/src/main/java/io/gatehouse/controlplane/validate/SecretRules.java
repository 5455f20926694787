package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Secret references (issue 12): every secret a config names must exist when it is applied, else a
 * problem at the referring path; a {@code jwksSecret} must hold a JWKS document that fits the
 * provider's algorithms (here shared "oct" keys are what belongs). Problems name the secret, never
 * its content.
 */
final class SecretRules {

    private SecretRules() {
    }

    static void check(GatewayConfig config, SecretLookup secrets, List<ValidationProblem> problems) {
        for (int i = 0; i < config.getJwtProvidersCount(); i++) {
            JwtProvider provider = config.getJwtProviders(i);
            if (provider.getKeysCase() != JwtProvider.KeysCase.JWKS_SECRET) {
                continue;
            }
            String path = "jwtProviders[" + i + "].jwksSecret";
            String name = provider.getJwksSecret();
            Optional<byte[]> value = secrets.value(name);
            if (value.isEmpty()) {
                problems.add(new ValidationProblem(path, "secret '" + name + "' does not exist (create it with"
                        + " gatehouse secrets set " + name + " --from-file jwks.json)"));
                continue;
            }
            Set<JwsAlgorithm> algorithms = EnumSet.noneOf(JwsAlgorithm.class);
            provider.getAlgorithmsList().stream()
                    .filter(a -> a != JwsAlgorithm.UNRECOGNIZED && a != JwsAlgorithm.JWS_ALGORITHM_UNSPECIFIED)
                    .forEach(algorithms::add);
            List<ValidationProblem> found = new java.util.ArrayList<>();
            AuthRules.checkInlineKeys(path, new String(value.get(), StandardCharsets.UTF_8), algorithms, true, found);
            for (ValidationProblem p : found) {
                // "is not a valid JWKS document: <parser message>" could quote the value: keep only our words.
                String reason = p.reason().startsWith("is not a valid JWKS document")
                        ? "secret '" + name + "' does not hold a JWKS document" : "secret '" + name + "': " + p.reason();
                problems.add(new ValidationProblem(p.path(), reason));
            }
        }
    }
}
