package io.gatehouse.controlplane.secrets;

import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwtProvider;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The secrets a config refers to, each with the path of the field that names it
 * ({@code jwtProviders[0].jwksSecret}). The one place that knows which config fields are secret
 * references: validation, the snapshot (which secrets to send) and deletion checks read it. Stateless.
 */
public final class SecretReferences {

    private SecretReferences() {
    }

    /** Path of each reference to the secret it names, in config order. */
    public static Map<String, String> byPath(GatewayConfig config) {
        Map<String, String> refs = new LinkedHashMap<>();
        for (int i = 0; i < config.getJwtProvidersCount(); i++) {
            JwtProvider provider = config.getJwtProviders(i);
            if (provider.getKeysCase() == JwtProvider.KeysCase.JWKS_SECRET) {
                refs.put("jwtProviders[" + i + "].jwksSecret", provider.getJwksSecret());
            }
        }
        for (int i = 0; i < config.getCertificatesCount(); i++) {
            // HTTPS certificates (issue 13): the chain and its key.
            refs.put("certificates[" + i + "].certSecret", config.getCertificates(i).getCertSecret());
            refs.put("certificates[" + i + "].keySecret", config.getCertificates(i).getKeySecret());
        }
        refs.values().removeIf(String::isEmpty);
        return refs;
    }

    /** The distinct names. */
    public static Set<String> names(GatewayConfig config) {
        return new TreeSet<>(byPath(config).values());
    }
}
