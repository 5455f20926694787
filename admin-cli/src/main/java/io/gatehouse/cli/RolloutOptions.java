package io.gatehouse.cli;

import io.gatehouse.observability.logging.LogText;
import io.gatehouse.rollout.RolloutPlan;
import io.gatehouse.rollout.RolloutPlanException;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code --rollout PLAN} and {@code --expect-changes route=ID,...}, shared by {@code apply} and
 * {@code rollback} as a picocli mixin. Both are checked here before any call, so a typo in a plan is
 * a usage error (exit 2) listing every problem, not a round trip; the control plane parses the plan
 * again with the same {@link RolloutPlan} and is the one that decides.
 */
final class RolloutOptions {

    /** Route ids as config.proto defines them. */
    private static final Pattern ROUTE_ID = Pattern.compile("[a-z0-9][a-z0-9-_.]{0,62}");

    @Option(names = "--rollout", paramLabel = "PLAN",
            description = "Deliver the new version in waves, e.g. \"region=eu@2m, 50%%@2m, all\" or"
                    + " \"shadow@30s, all\" (syntax: admin-cli/README.md, Rollouts). Without it the config's"
                    + " settings.rollout.defaultPlan applies, and without one of those every data plane at once.")
    String plan;

    @Option(names = "--expect-changes", paramLabel = "route=ID", split = ",",
            description = "Routes whose decisions the new version may change (repeatable or comma-separated):"
                    + " the shadow step stops the rollout when any other route decides differently.")
    List<String> expectChanges = new ArrayList<>();

    /**
     * The plan to send as the operator wrote it ("" = none given: the control plane's default), and
     * the route ids of {@code --expect-changes}.
     *
     * @throws CommandLine.ParameterException listing every problem of both options
     */
    Checked check(CommandLine commandLine) {
        List<String> problems = new ArrayList<>();
        if (plan != null) {
            try {
                RolloutPlan.parse(plan);
            } catch (RolloutPlanException e) {
                problems.add("invalid --rollout \"" + LogText.escaped(plan) + "\":");
                e.problems().forEach(p -> problems.add("  " + LogText.escaped(p)));
            }
        }
        List<String> routes = new ArrayList<>();
        for (String entry : expectChanges) {
            String written = entry.strip();
            if (!written.startsWith("route=")) {
                problems.add("--expect-changes \"" + LogText.escaped(written) + "\": write route=ID, e.g. route=orders");
                continue;
            }
            String id = written.substring("route=".length()).strip();
            if (!ROUTE_ID.matcher(id).matches()) {
                problems.add("--expect-changes \"" + LogText.escaped(written) + "\": \"" + LogText.escaped(id)
                        + "\" is not a route id (lower-case letters, digits, '-', '_', '.'; at most 63)");
                continue;
            }
            if (!routes.contains(id)) {
                routes.add(id);
            }
        }
        if (!problems.isEmpty()) {
            throw new CommandLine.ParameterException(commandLine, String.join(System.lineSeparator(), problems));
        }
        return new Checked(plan == null ? "" : plan.strip(), List.copyOf(routes));
    }

    /** What passed the checks, ready for ApplyRequest/RollbackRequest. */
    record Checked(String plan, List<String> expectChanges) {
    }
}
