package io.gatehouse.controlplane.validate;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.gatehouse.proto.config.v1.GatewayConfig;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rejects config fields that the contract defines but this release does not enforce yet.
 *
 * <p>The config model (proto) runs ahead of the implementation: it describes every capability
 * the gateway will have. Accepting a field that data planes silently ignore would be worse than
 * refusing it (an operator would believe a rate limit or an auth rule is in force), so until a
 * feature lands its fields are validation errors. Landing a feature = adding its fields here.
 */
final class SupportedFieldsRule {

    /** Full proto names of the fields that are implemented end to end (validated and enforced). */
    static final Set<String> SUPPORTED = Set.of(
            "gatehouse.config.v1.GatewayConfig.upstreams",
            "gatehouse.config.v1.GatewayConfig.routes",
            "gatehouse.config.v1.GatewayConfig.defaults",
            "gatehouse.config.v1.Upstream.name",
            "gatehouse.config.v1.Upstream.targets",
            "gatehouse.config.v1.Target.url",
            "gatehouse.config.v1.Target.weight",
            "gatehouse.config.v1.Target.region",
            // Upstreams (issue 3): splits, balancing, health, outliers, pools, protocol, TLS (UpstreamRules;
            // data-plane upstream/).
            "gatehouse.config.v1.Route.weighted_upstreams",
            "gatehouse.config.v1.Route.sticky_split",
            "gatehouse.config.v1.WeightedUpstream.upstream",
            "gatehouse.config.v1.WeightedUpstream.weight",
            "gatehouse.config.v1.Upstream.load_balancing",
            "gatehouse.config.v1.LoadBalancing.policy",
            "gatehouse.config.v1.LoadBalancing.hash_on",
            "gatehouse.config.v1.HashOn.header",
            "gatehouse.config.v1.HashOn.cookie",
            "gatehouse.config.v1.HashOn.client_ip",
            "gatehouse.config.v1.Upstream.health_check",
            "gatehouse.config.v1.HealthCheck.path",
            "gatehouse.config.v1.HealthCheck.interval",
            "gatehouse.config.v1.HealthCheck.timeout",
            "gatehouse.config.v1.HealthCheck.healthy_threshold",
            "gatehouse.config.v1.HealthCheck.unhealthy_threshold",
            "gatehouse.config.v1.Upstream.outlier_detection",
            "gatehouse.config.v1.OutlierDetection.consecutive_5xx",
            "gatehouse.config.v1.OutlierDetection.consecutive_gateway_failures",
            "gatehouse.config.v1.OutlierDetection.base_ejection_time",
            "gatehouse.config.v1.OutlierDetection.max_ejection_time",
            "gatehouse.config.v1.OutlierDetection.max_ejection_percent",
            "gatehouse.config.v1.Upstream.pool",
            "gatehouse.config.v1.ConnectionPool.max_connections",
            "gatehouse.config.v1.ConnectionPool.max_pending",
            "gatehouse.config.v1.ConnectionPool.idle_timeout",
            "gatehouse.config.v1.Upstream.protocol",
            "gatehouse.config.v1.Upstream.tls",
            "gatehouse.config.v1.UpstreamTls.ca_certificates_pem",
            "gatehouse.config.v1.UpstreamTls.ca_file",
            "gatehouse.config.v1.UpstreamTls.server_name",
            // Access log sampling (issue 5): LoggingRules; data-plane telemetry/LogSamplingRules.
            "gatehouse.config.v1.RouteDefaults.logging",
            "gatehouse.config.v1.Route.logging",
            "gatehouse.config.v1.LogSampling.sample_rate",
            "gatehouse.config.v1.LogSampling.slow_threshold",
            "gatehouse.config.v1.Route.id",
            "gatehouse.config.v1.Route.match",
            "gatehouse.config.v1.Route.upstream",
            "gatehouse.config.v1.Route.timeouts",
            "gatehouse.config.v1.RouteMatch.path_prefix",
            // Routing (issue 3): matchers, rewrite, header transforms (RouteMatchRules; data-plane routing/, policy/transform/).
            "gatehouse.config.v1.RouteMatch.path_exact",
            "gatehouse.config.v1.RouteMatch.path_template",
            "gatehouse.config.v1.RouteMatch.hosts",
            "gatehouse.config.v1.RouteMatch.methods",
            "gatehouse.config.v1.RouteMatch.headers",
            "gatehouse.config.v1.HeaderMatch.name",
            "gatehouse.config.v1.HeaderMatch.exact",
            "gatehouse.config.v1.HeaderMatch.present",
            "gatehouse.config.v1.Route.rewrite",
            "gatehouse.config.v1.Rewrite.prefix",
            "gatehouse.config.v1.Rewrite.path",
            "gatehouse.config.v1.Route.request_headers",
            "gatehouse.config.v1.Route.response_headers",
            "gatehouse.config.v1.HeaderTransforms.add",
            "gatehouse.config.v1.HeaderTransforms.set",
            "gatehouse.config.v1.HeaderTransforms.remove",
            "gatehouse.config.v1.HeaderTransforms.AddEntry.key",
            "gatehouse.config.v1.HeaderTransforms.AddEntry.value",
            "gatehouse.config.v1.HeaderTransforms.SetEntry.key",
            "gatehouse.config.v1.HeaderTransforms.SetEntry.value",
            "gatehouse.config.v1.Timeouts.connect",
            "gatehouse.config.v1.Timeouts.request",
            "gatehouse.config.v1.RouteDefaults.timeouts",
            // Authentication (issue 4): JWT providers, consumers, route auth.
            "gatehouse.config.v1.GatewayConfig.jwt_providers",
            "gatehouse.config.v1.GatewayConfig.consumers",
            "gatehouse.config.v1.Route.auth",
            "gatehouse.config.v1.AuthPolicy.jwt_providers",
            "gatehouse.config.v1.AuthPolicy.api_key",
            "gatehouse.config.v1.AuthPolicy.required_scopes",
            "gatehouse.config.v1.AuthPolicy.required_claims",
            "gatehouse.config.v1.AuthPolicy.optional",
            "gatehouse.config.v1.AuthPolicy.RequiredClaimsEntry.key",
            "gatehouse.config.v1.AuthPolicy.RequiredClaimsEntry.value",
            "gatehouse.config.v1.ApiKeyAuth.header",
            "gatehouse.config.v1.ApiKeyAuth.query_param",
            "gatehouse.config.v1.JwtProvider.name",
            "gatehouse.config.v1.JwtProvider.issuer",
            "gatehouse.config.v1.JwtProvider.audiences",
            "gatehouse.config.v1.JwtProvider.jwks_url",
            "gatehouse.config.v1.JwtProvider.jwks_json",
            "gatehouse.config.v1.JwtProvider.jwks_secret",
            "gatehouse.config.v1.JwtProvider.algorithms",
            "gatehouse.config.v1.JwtProvider.clock_skew",
            "gatehouse.config.v1.JwtProvider.required_claims",
            "gatehouse.config.v1.JwtProvider.claims_to_headers",
            "gatehouse.config.v1.JwtProvider.strip_token",
            "gatehouse.config.v1.JwtProvider.jwks_cache_ttl",
            "gatehouse.config.v1.JwtProvider.ClaimsToHeadersEntry.key",
            "gatehouse.config.v1.JwtProvider.ClaimsToHeadersEntry.value",
            // Identity and key confusion (issue 10): claim header encoding; cache identity sharing and Set-Cookie.
            "gatehouse.config.v1.JwtProvider.claim_header_encoding",
            "gatehouse.config.v1.Consumer.name",
            "gatehouse.config.v1.Consumer.tenant",
            "gatehouse.config.v1.Consumer.plan",
            "gatehouse.config.v1.Consumer.metadata",
            "gatehouse.config.v1.Consumer.MetadataEntry.key",
            "gatehouse.config.v1.Consumer.MetadataEntry.value",
            "gatehouse.config.v1.Consumer.jwt_providers",
            // Resilience (issue 3): timeouts, retries, breaker, limits.
            "gatehouse.config.v1.GatewayConfig.settings", // container; its fields are listed one by one
            "gatehouse.config.v1.Timeouts.idle",
            "gatehouse.config.v1.Route.retry",
            "gatehouse.config.v1.RouteDefaults.retry",
            "gatehouse.config.v1.RetryPolicy.retries",
            "gatehouse.config.v1.RetryPolicy.retry_on",
            "gatehouse.config.v1.RetryPolicy.base_backoff",
            "gatehouse.config.v1.RetryPolicy.max_backoff",
            "gatehouse.config.v1.RetryPolicy.retry_non_idempotent",
            "gatehouse.config.v1.RetryPolicy.budget_percent",
            "gatehouse.config.v1.RetryPolicy.buffer_body_bytes",
            "gatehouse.config.v1.Upstream.circuit_breaker",
            "gatehouse.config.v1.CircuitBreaker.consecutive_failures",
            "gatehouse.config.v1.CircuitBreaker.failure_rate_percent",
            "gatehouse.config.v1.CircuitBreaker.window",
            "gatehouse.config.v1.CircuitBreaker.minimum_requests",
            "gatehouse.config.v1.CircuitBreaker.open_duration",
            "gatehouse.config.v1.CircuitBreaker.half_open_probes",
            "gatehouse.config.v1.CircuitBreaker.shared",
            "gatehouse.config.v1.Route.max_concurrent_requests",
            "gatehouse.config.v1.Route.max_request_body_bytes",
            "gatehouse.config.v1.RouteDefaults.max_request_body_bytes",
            "gatehouse.config.v1.GatewaySettings.max_concurrent_requests",
            "gatehouse.config.v1.GatewaySettings.max_request_header_bytes",
            // Edge policies (issue 4): EdgePolicyRules; data-plane policy/{access,cors,ratelimit,cache}.
            "gatehouse.config.v1.GatewaySettings.trusted_proxies",
            "gatehouse.config.v1.GatewaySettings.access",
            "gatehouse.config.v1.GatewaySettings.upstream_policy",
            "gatehouse.config.v1.UpstreamPolicy.allowed_hosts",
            "gatehouse.config.v1.UpstreamPolicy.allowed_cidrs",
            "gatehouse.config.v1.UpstreamPolicy.allow_loopback",
            "gatehouse.config.v1.AccessControl.allow",
            "gatehouse.config.v1.AccessControl.deny",
            "gatehouse.config.v1.Route.access",
            "gatehouse.config.v1.Route.cors",
            "gatehouse.config.v1.CorsPolicy.allow_origins",
            "gatehouse.config.v1.CorsPolicy.allow_methods",
            "gatehouse.config.v1.CorsPolicy.allow_headers",
            "gatehouse.config.v1.CorsPolicy.expose_headers",
            "gatehouse.config.v1.CorsPolicy.allow_credentials",
            "gatehouse.config.v1.CorsPolicy.max_age",
            "gatehouse.config.v1.Route.rate_limiting",
            "gatehouse.config.v1.RateLimiting.limits",
            "gatehouse.config.v1.RateLimiting.response_headers",
            "gatehouse.config.v1.RateLimit.name",
            "gatehouse.config.v1.RateLimit.algorithm",
            "gatehouse.config.v1.RateLimit.limit",
            "gatehouse.config.v1.RateLimit.period",
            "gatehouse.config.v1.RateLimit.burst",
            "gatehouse.config.v1.RateLimit.key",
            "gatehouse.config.v1.RateLimit.fallback_limit",
            "gatehouse.config.v1.RateLimit.plans",
            "gatehouse.config.v1.RateLimitKey.client_ip",
            "gatehouse.config.v1.RateLimitKey.api_key",
            "gatehouse.config.v1.RateLimitKey.consumer",
            "gatehouse.config.v1.RateLimitKey.tenant",
            "gatehouse.config.v1.RateLimitKey.jwt_subject",
            "gatehouse.config.v1.RateLimitKey.jwt_claim",
            "gatehouse.config.v1.RateLimitKey.header",
            "gatehouse.config.v1.RateLimitKey.route",
            "gatehouse.config.v1.Route.cache",
            "gatehouse.config.v1.CachePolicy.ttl",
            "gatehouse.config.v1.CachePolicy.key_headers",
            "gatehouse.config.v1.CachePolicy.max_object_bytes",
            // Request normalization and header hygiene (issue 10): RequestRules; data-plane request/.
            "gatehouse.config.v1.GatewaySettings.path_normalization",
            "gatehouse.config.v1.GatewaySettings.identity_headers",
            "gatehouse.config.v1.GatewaySettings.underscore_headers",
            "gatehouse.config.v1.GatewaySettings.client_address_header",
            "gatehouse.config.v1.Route.path_normalization",
            // HTTP/2, gRPC and WebSocket to clients (issue 13): EdgeProtocolRules; data-plane
            // server/Http2Module, policy/grpc + proxy/GrpcForwarder, policy/websocket + proxy/WebSocketForwarder.
            "gatehouse.config.v1.GatewaySettings.http2",
            "gatehouse.config.v1.Http2Settings.max_concurrent_streams",
            "gatehouse.config.v1.Http2Settings.max_header_list_size",
            "gatehouse.config.v1.Http2Settings.initial_window_size",
            "gatehouse.config.v1.Http2Settings.max_frame_size",
            "gatehouse.config.v1.Http2Settings.max_rapid_resets",
            "gatehouse.config.v1.Http2Settings.rapid_reset_period",
            "gatehouse.config.v1.Http2Settings.max_continuation_frames",
            "gatehouse.config.v1.Http2Settings.max_empty_frames",
            "gatehouse.config.v1.Route.grpc",
            "gatehouse.config.v1.GrpcRoute.enabled",
            "gatehouse.config.v1.Route.websocket",
            "gatehouse.config.v1.WebSocketRoute.enabled",
            "gatehouse.config.v1.WebSocketRoute.idle_timeout",
            "gatehouse.config.v1.WebSocketRoute.max_lifetime",
            "gatehouse.config.v1.WebSocketRoute.max_connections",
            "gatehouse.config.v1.PathNormalization.duplicate_slashes",
            "gatehouse.config.v1.PathNormalization.encoded_separators",
            "gatehouse.config.v1.HeaderList.names",
            "gatehouse.config.v1.CachePolicy.share_across_identities",
            "gatehouse.config.v1.CachePolicy.store_responses_with_set_cookie",
            // TLS termination (issue 13): CertificateRules; data-plane tls/.
            "gatehouse.config.v1.GatewayConfig.certificates",
            "gatehouse.config.v1.Certificate.name",
            "gatehouse.config.v1.Certificate.hosts",
            "gatehouse.config.v1.Certificate.cert_secret",
            "gatehouse.config.v1.Certificate.key_secret",
            "gatehouse.config.v1.GatewaySettings.tls",
            "gatehouse.config.v1.TlsSettings.min_version",
            "gatehouse.config.v1.TlsSettings.unknown_server_name",
            "gatehouse.config.v1.TlsSettings.default_certificate",
            "gatehouse.config.v1.Route.https",
            "gatehouse.config.v1.HttpsPolicy.redirect",
            "gatehouse.config.v1.HttpsPolicy.redirect_port",
            "gatehouse.config.v1.HttpsPolicy.hsts_max_age",
            "gatehouse.config.v1.HttpsPolicy.hsts_include_subdomains",
            "gatehouse.config.v1.AuthPolicy.client_cert",
            "gatehouse.config.v1.ClientCertAuth.ca_certificates_pem",
            "gatehouse.config.v1.ClientCertAuth.subject_from",
            "gatehouse.config.v1.ClientCertAuth.fields_to_headers",
            "gatehouse.config.v1.ClientCertAuth.FieldsToHeadersEntry.key",
            "gatehouse.config.v1.ClientCertAuth.FieldsToHeadersEntry.value",
            // Progressive delivery (issue 17): RolloutRules; control-plane rollout/ judges the gates.
            "gatehouse.config.v1.GatewaySettings.rollout",
            "gatehouse.config.v1.RolloutSettings.default_plan",
            "gatehouse.config.v1.RolloutSettings.max_error_rate_increase",
            "gatehouse.config.v1.RolloutSettings.max_p99_ratio",
            "gatehouse.config.v1.RolloutSettings.min_p99_increase_ms",
            "gatehouse.config.v1.RolloutSettings.min_requests",
            "gatehouse.config.v1.RolloutSettings.shadow_sample_ratio",
            // Inside google.protobuf.Duration.
            "google.protobuf.Duration.seconds",
            "google.protobuf.Duration.nanos");

    private SupportedFieldsRule() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        check(config, SUPPORTED, problems);
    }

    /** As {@link #check(GatewayConfig, List)} with {@code supported} as the implemented fields. */
    static void check(GatewayConfig config, Set<String> supported, List<ValidationProblem> problems) {
        walk("", config, supported, problems);
    }

    private static void walk(String path, Message message, Set<String> supported, List<ValidationProblem> problems) {
        for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
            FieldDescriptor field = entry.getKey();
            String fieldPath = path.isEmpty() ? field.getJsonName() : path + "." + field.getJsonName();
            if (!supported.contains(field.getFullName())) {
                problems.add(new ValidationProblem(fieldPath, "is not supported by this version of Gatehouse yet"
                        + " (the data planes would ignore it); remove it"));
                continue;
            }
            if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                continue;
            }
            if (field.isRepeated()) {
                List<?> items = (List<?>) entry.getValue();
                for (int i = 0; i < items.size(); i++) {
                    walk(fieldPath + "[" + i + "]", (Message) items.get(i), supported, problems);
                }
            } else {
                walk(fieldPath, (Message) entry.getValue(), supported, problems);
            }
        }
    }
}
