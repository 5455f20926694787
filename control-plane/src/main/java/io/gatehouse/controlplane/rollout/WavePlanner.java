package io.gatehouse.controlplane.rollout;

import io.gatehouse.rollout.RolloutPlan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which data planes a wave moves to the candidate. Selectors match every known data plane,
 * connected or not (a disconnected one gets its target when it returns); nodes of earlier waves
 * are not picked again. A share picks, in a stable pseudo-random order of (rollout id, node id),
 * enough more nodes that ceil(percent of the fleet) run the candidate. Stateless.
 */
public final class WavePlanner {

    /** A data plane as selectors see it. */
    public record FleetNode(String id, String region, Map<String, String> labels) {
    }

    private WavePlanner() {
    }

    /** The nodes of a wave with {@code selector}, given the nodes {@code already} on the candidate. */
    public static List<String> pick(RolloutPlan.Selector selector, long rolloutId, List<FleetNode> fleet,
                                    Set<String> already) {
        List<FleetNode> rest = fleet.stream().filter(n -> !already.contains(n.id()))
                .sorted(Comparator.comparing(FleetNode::id)).toList();
        return switch (selector) {
            case RolloutPlan.Shadow s -> List.of();
            case RolloutPlan.All a -> rest.stream().map(FleetNode::id).toList();
            case RolloutPlan.Region r -> rest.stream().filter(n -> n.region().equals(r.region())).map(FleetNode::id).toList();
            case RolloutPlan.NodeId n -> rest.stream().filter(f -> f.id().equals(n.id())).map(FleetNode::id).toList();
            case RolloutPlan.Label l -> rest.stream().filter(n -> l.value().equals(n.labels().get(l.key())))
                    .map(FleetNode::id).toList();
            case RolloutPlan.Share s -> {
                long wanted = (long) Math.ceil(fleet.size() * s.percent() / 100.0);
                long more = Math.max(0, wanted - already.size());
                List<FleetNode> ordered = new ArrayList<>(rest);
                ordered.sort(Comparator.comparing(n -> order(rolloutId, n.id())));
                yield ordered.stream().limit(more).map(FleetNode::id).toList();
            }
        };
    }

    /** A stable, well-spread position of a node in a rollout's share order. */
    private static String order(long rolloutId, String nodeId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((rolloutId + ":" + nodeId).getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8) + nodeId;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
