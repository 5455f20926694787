package io.gatehouse.dataplane.routing;

/** How a route's path condition matches; the declaration order is the priority order (exact first). */
public enum PathKind {
    /** The whole path equals the configured one. */
    EXACT,
    /** Literal segments and {@code {name}} variables, each variable matching one non-empty segment. */
    TEMPLATE,
    /** The configured path is a prefix of the request path on whole segments. */
    PREFIX
}
