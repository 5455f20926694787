package io.gatehouse.dataplane.policy;

import io.gatehouse.dataplane.policy.auth.Identity;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The key encoding of identity-derived keys: no content of a part can move a part boundary. */
class KeyPartsTest {

    @Test
    void partsContainingSeparatorsOrLengthsNeverCollide() {
        List<String> keys = List.of(
                KeyParts.of("a:b", "c"), KeyParts.of("a", "b:c"), KeyParts.of("a", "b", "c"),
                KeyParts.of("1:a"), KeyParts.of("1", "a"), KeyParts.of("", "1:a"), KeyParts.of("a\n", "b"),
                KeyParts.of("a", "\nb"));

        assertThat(keys).doesNotHaveDuplicates();
    }

    @Test
    void hashesKeepStringsApartThatUtf8WouldMerge() {
        // String.getBytes(UTF_8) turns an unpaired surrogate into '?'
        assertThat(KeyParts.sha256("a\uD800")).isNotEqualTo(KeyParts.sha256("a?"));
    }

    @Test
    void identityValuesAreQualifiedByCredentialKindProviderAndIssuer() {
        Identity apiKey = new Identity(Identity.Method.API_KEY, "alice", "", "", "alice", Map.of(), Set.of(), "k1", "");
        Identity fromA = jwt("idp-a", "https://a.test", "alice", Map.of());
        Identity fromB = jwt("idp-b", "https://a.test", "alice", Map.of());
        Identity otherIssuer = jwt("idp-a", "https://b.test", "alice", Map.of());
        // a subject that spells the separator and the next part must not shift the boundary
        Identity crafted = jwt("idp-a", "https://a.test", "alice1:x", Map.of());
        Identity craftedIssuer = jwt("idp-a", "https://a.test5:alice", "", Map.of());

        assertThat(List.of(apiKey.namespaced("alice"), fromA.namespaced("alice"), fromB.namespaced("alice"),
                otherIssuer.namespaced("alice"), crafted.namespaced("x"), craftedIssuer.namespaced("")))
                .doesNotHaveDuplicates();
    }

    @Test
    void cachePartitionsDifferInEveryForwardedHeaderValue() {
        Identity reader = jwt("idp", "https://a.test", "alice", Map.of("x-scopes", "orders:read"));
        Identity admin = jwt("idp", "https://a.test", "alice", Map.of("x-scopes", "orders:read orders:admin"));
        Identity split = jwt("idp", "https://a.test", "alice", Map.of("x-scopes", "orders:read", "x-z", ""));

        assertThat(List.of(reader.cachePartition(), admin.cachePartition(), split.cachePartition()))
                .doesNotHaveDuplicates();
        assertThat(jwt("idp", "https://a.test", "alice", Map.of("x-scopes", "orders:read")).cachePartition())
                .isEqualTo(reader.cachePartition());
    }

    private static Identity jwt(String provider, String issuer, String sub, Map<String, String> headers) {
        return new Identity(Identity.Method.JWT, sub, "", "", sub, Map.of("sub", sub), Set.of(), "", provider, issuer,
                new TreeMap<>(headers), false);
    }
}
