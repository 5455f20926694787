package io.gatehouse.dataplane.request;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.config.ConfigDefaults;
import io.gatehouse.config.CidrSet;
import io.gatehouse.proto.config.v1.GatewaySettings;

import java.util.Objects;

/**
 * The gateway-wide request rules of one snapshot, compiled with it: how paths are normalized,
 * which client headers are removed or refused, the header size limit, and whose forwarding headers
 * are believed. Immutable.
 *
 * @param paths               path normalization for every request (a route may override it)
 * @param headers             identity and underscore header handling
 * @param maxHeaderBytes      request line plus headers, above which a request gets 431
 * @param trustedProxies      peers whose forwarding header names the client
 * @param clientAddressHeader the one forwarding header those proxies append to
 */
public record RequestRules(PathRules paths, HeaderRules headers, int maxHeaderBytes, CidrSet trustedProxies,
                           ClientAddressHeader clientAddressHeader) {


    /** Where trusted proxies put the client address. */
    public enum ClientAddressHeader { X_FORWARDED_FOR, FORWARDED }

    /** The rules of a data plane without a snapshot, and of an empty {@code settings}. */
    public static final RequestRules DEFAULTS = new RequestRules(PathRules.DEFAULTS, HeaderRules.DEFAULTS,
            ConfigDefaults.MAX_REQUEST_HEADER_BYTES, CidrSet.EMPTY, ClientAddressHeader.X_FORWARDED_FOR);

    /** The snapshot's request rules, among its gateway-wide parts; the defaults without a snapshot. */
    public static final Parts.Key<RequestRules> PART = Parts.Key.of("request.rules", DEFAULTS);

    public RequestRules {
        Objects.requireNonNull(paths, "paths");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(trustedProxies, "trustedProxies");
        Objects.requireNonNull(clientAddressHeader, "clientAddressHeader");
    }

    /** @throws IllegalArgumentException naming the offending setting */
    public static RequestRules fromConfig(GatewaySettings settings) {
        CidrSet trusted;
        try {
            trusted = CidrSet.parse(settings.getTrustedProxiesList());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("trustedProxies: " + e.getMessage(), e);
        }
        ClientAddressHeader header = switch (settings.getClientAddressHeader()) {
            case X_FORWARDED_FOR -> ClientAddressHeader.X_FORWARDED_FOR;
            case FORWARDED -> ClientAddressHeader.FORWARDED;
            case UNRECOGNIZED -> throw new IllegalArgumentException("clientAddressHeader: unknown value "
                    + settings.getClientAddressHeaderValue());
        };
        return new RequestRules(PathRules.resolve(settings.getPathNormalization(), PathRules.DEFAULTS),
                HeaderRules.fromConfig(settings),
                settings.getMaxRequestHeaderBytes() == 0 ? ConfigDefaults.MAX_REQUEST_HEADER_BYTES : settings.getMaxRequestHeaderBytes(),
                trusted, header);
    }
}
