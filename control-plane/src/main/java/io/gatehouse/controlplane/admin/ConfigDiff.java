package io.gatehouse.controlplane.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.proto.admin.v1.ChangeKind;
import io.gatehouse.proto.admin.v1.DiffEntry;
import io.gatehouse.proto.config.v1.GatewayConfig;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Structured difference between two configs, computed on the JSON tree of their canonical
 * documents (so it speaks the same keys as the YAML). Lists whose elements have an identity are
 * matched by it -- {@code routes[id=users]}, {@code upstreams[name=api]} -- so reordering routes is
 * not a change; other lists are compared by index ({@code targets[0]}). Values are JSON text; a
 * field absent on one side (proto3 omits defaults) is ADDED or REMOVED. Stateless and thread-safe.
 */
public final class ConfigDiff {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Top-level lists matched by a key field instead of by index. */
    private static final Map<String, String> KEYED_LISTS = Map.of("routes", "id", "upstreams", "name");

    private ConfigDiff() {
    }

    /** Entries in document order: changes within {@code from}'s order first, then additions. */
    public static List<DiffEntry> diff(GatewayConfig from, GatewayConfig to) {
        List<DiffEntry> entries = new ArrayList<>();
        compareObjects("", tree(from), tree(to), entries);
        return entries;
    }

    private static JsonNode tree(GatewayConfig config) {
        try {
            return JSON.readTree(ConfigDocuments.toCanonicalJson(config));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("canonical JSON must parse", e);
        }
    }

    private static void compare(String path, JsonNode from, JsonNode to, List<DiffEntry> out) {
        if (from.equals(to)) {
            return;
        }
        if (from.isObject() && to.isObject()) {
            compareObjects(path, from, to, out);
        } else if (from.isArray() && to.isArray()) {
            Optional<String> key = path.contains(".") || path.contains("[")
                    ? Optional.empty() : Optional.ofNullable(KEYED_LISTS.get(path));
            if (key.isPresent() && uniquelyKeyed(from, key.get()) && uniquelyKeyed(to, key.get())) {
                compareKeyed(path, key.get(), from, to, out);
            } else {
                compareIndexed(path, from, to, out);
            }
        } else {
            out.add(entry(ChangeKind.CHANGED, path, from, to));
        }
    }

    private static void compareObjects(String path, JsonNode from, JsonNode to, List<DiffEntry> out) {
        Set<String> names = new LinkedHashSet<>();
        from.fieldNames().forEachRemaining(names::add);
        to.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            String child = path.isEmpty() ? name : path + "." + name;
            JsonNode a = from.get(name);
            JsonNode b = to.get(name);
            if (a == null) {
                out.add(entry(ChangeKind.ADDED, child, null, b));
            } else if (b == null) {
                out.add(entry(ChangeKind.REMOVED, child, a, null));
            } else {
                compare(child, a, b, out);
            }
        }
    }

    private static void compareKeyed(String path, String key, JsonNode from, JsonNode to, List<DiffEntry> out) {
        Map<String, JsonNode> before = byKey(from, key);
        Map<String, JsonNode> after = byKey(to, key);
        for (Map.Entry<String, JsonNode> e : before.entrySet()) {
            String child = path + "[" + key + "=" + e.getKey() + "]";
            JsonNode b = after.get(e.getKey());
            if (b == null) {
                out.add(entry(ChangeKind.REMOVED, child, e.getValue(), null));
            } else {
                compare(child, e.getValue(), b, out);
            }
        }
        for (Map.Entry<String, JsonNode> e : after.entrySet()) {
            if (!before.containsKey(e.getKey())) {
                out.add(entry(ChangeKind.ADDED, path + "[" + key + "=" + e.getKey() + "]", null, e.getValue()));
            }
        }
    }

    private static void compareIndexed(String path, JsonNode from, JsonNode to, List<DiffEntry> out) {
        int common = Math.min(from.size(), to.size());
        for (int i = 0; i < common; i++) {
            compare(path + "[" + i + "]", from.get(i), to.get(i), out);
        }
        for (int i = common; i < from.size(); i++) {
            out.add(entry(ChangeKind.REMOVED, path + "[" + i + "]", from.get(i), null));
        }
        for (int i = common; i < to.size(); i++) {
            out.add(entry(ChangeKind.ADDED, path + "[" + i + "]", null, to.get(i)));
        }
    }

    /** Keys are usable only when every element has a distinct, non-empty one (unvalidated candidates may not). */
    private static boolean uniquelyKeyed(JsonNode list, String key) {
        Set<String> seen = new HashSet<>();
        for (Iterator<JsonNode> it = list.elements(); it.hasNext(); ) {
            JsonNode k = it.next().get(key);
            if (k == null || !k.isTextual() || k.asText().isEmpty() || !seen.add(k.asText())) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, JsonNode> byKey(JsonNode list, String key) {
        Map<String, JsonNode> result = new LinkedHashMap<>();
        list.elements().forEachRemaining(element -> result.put(element.get(key).asText(), element));
        return result;
    }

    private static DiffEntry entry(ChangeKind kind, String path, JsonNode from, JsonNode to) {
        return DiffEntry.newBuilder()
                .setKind(kind)
                .setPath(path)
                .setOldValue(from == null ? "" : from.toString())
                .setNewValue(to == null ? "" : to.toString())
                .build();
    }
}
