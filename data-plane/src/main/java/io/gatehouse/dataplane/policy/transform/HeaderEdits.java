package io.gatehouse.dataplane.policy.transform;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.proto.config.v1.HeaderTransforms;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A route's header transforms for one direction, compiled: first {@code remove}, then {@code set}
 * (replacing any values), then {@code add} (appending to what is there). Header names are
 * case-insensitive; entries are applied in name order so the result is deterministic.
 *
 * <p>On requests, a value that is exactly one of the {@link TlsValue} placeholders
 * ({@code ${tls.sni}}, {@code ${tls.version}}, {@code ${tls.cipher}}, {@code ${tls.client_subject}}) is
 * replaced by that fact of the request's connection. Without it (plaintext, no verified client
 * certificate) a {@code set} removes the header, so a client can never supply the value itself, and an
 * {@code add} adds nothing. Immutable and thread-safe.
 */
public final class HeaderEdits {

    /** No edits. */
    public static final HeaderEdits NONE = new HeaderEdits(List.of(), List.of(), List.of());

    private record Edit(HeaderName name, String value, TlsValue tls) {

        /** The value for this request; null when a placeholder has nothing to say. */
        String resolve(Exchange exchange) {
            return tls == null ? value : tls.of(exchange);
        }
    }

    private final List<HeaderName> remove;
    private final List<Edit> set;
    private final List<Edit> add;

    private HeaderEdits(List<HeaderName> remove, List<Edit> set, List<Edit> add) {
        this.remove = remove;
        this.set = set;
        this.add = add;
    }

    public static HeaderEdits fromConfig(HeaderTransforms transforms) {
        if (transforms.getAddCount() == 0 && transforms.getSetCount() == 0 && transforms.getRemoveCount() == 0) {
            return NONE;
        }
        List<HeaderName> remove = transforms.getRemoveList().stream().map(HeaderNames::create).toList();
        return new HeaderEdits(remove, edits(transforms.getSetMap()), edits(transforms.getAddMap()));
    }

    private static List<Edit> edits(Map<String, String> map) {
        List<Edit> edits = new ArrayList<>(map.size());
        new TreeMap<>(map).forEach((name, value) -> edits.add(new Edit(HeaderNames.create(name), value,
                TlsValue.of(value).orElse(null))));
        return List.copyOf(edits);
    }

    public boolean isEmpty() {
        return remove.isEmpty() && set.isEmpty() && add.isEmpty();
    }

    /** Applies to the request sent upstream, through the exchange's upstream header edits. */
    public void applyToUpstream(Exchange exchange) {
        for (HeaderName name : remove) {
            exchange.setUpstreamHeader(name, List.of());
        }
        for (Edit edit : set) {
            String value = edit.resolve(exchange);
            exchange.setUpstreamHeader(edit.name(), value == null ? List.of() : List.of(value));
        }
        for (Edit edit : add) {
            String value = edit.resolve(exchange);
            if (value == null) {
                continue;
            }
            List<String> current = exchange.upstreamHeaderEdits().get(edit.name());
            if (current == null) {
                current = exchange.request().headers().values(edit.name());
            }
            List<String> values = new ArrayList<>(current.size() + 1);
            values.addAll(current);
            values.add(value);
            exchange.setUpstreamHeader(edit.name(), values);
        }
    }

    /** Applies to the response about to be sent to the client. */
    public void applyToResponse(ResponseHeaders headers) {
        for (HeaderName name : remove) {
            headers.remove(name.defaultCase());
        }
        for (Edit edit : set) {
            headers.set(edit.name().defaultCase(), edit.value());
        }
        for (Edit edit : add) {
            headers.add(edit.name().defaultCase(), edit.value());
        }
    }
}
