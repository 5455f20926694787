package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.RolloutSettings;
import io.gatehouse.rollout.RolloutPlan;
import io.gatehouse.rollout.RolloutPlanException;

import java.util.List;

/**
 * settings.rollout (issue 17): the default plan must parse (every problem is listed), thresholds
 * are finite and not negative (0 = the default), the shadow sample ratio is in (0, 1]. Stateless.
 */
final class RolloutRules {

    private static final String PATH = "settings.rollout";

    private RolloutRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        if (!config.getSettings().hasRollout()) {
            return;
        }
        RolloutSettings rollout = config.getSettings().getRollout();
        String plan = rollout.getDefaultPlan();
        if (!plan.isBlank()) { // the parser bounds its length
            try {
                RolloutPlan.parse(plan);
            } catch (RolloutPlanException e) {
                e.problems().forEach(p -> problems.add(new ValidationProblem(PATH + ".defaultPlan", p)));
            }
        }
        notNegative(rollout.getMaxErrorRateIncrease(), "maxErrorRateIncrease", problems);
        if (rollout.getMaxErrorRateIncrease() > 1) {
            problems.add(new ValidationProblem(PATH + ".maxErrorRateIncrease",
                    "is a share of requests: at most 1 (0.01 = one point)"));
        }
        notNegative(rollout.getMaxP99Ratio(), "maxP99Ratio", problems);
        if (rollout.getMaxP99Ratio() != 0 && rollout.getMaxP99Ratio() < 1) {
            problems.add(new ValidationProblem(PATH + ".maxP99Ratio",
                    "below 1 would fail a wave as fast as the baseline; 0 = 2.0"));
        }
        double ratio = rollout.getShadowSampleRatio();
        if (Double.isNaN(ratio) || ratio < 0 || ratio > 1) {
            problems.add(new ValidationProblem(PATH + ".shadowSampleRatio", "must be in (0, 1] (0 = 0.05)"));
        }
    }

    private static void notNegative(double value, String field, List<ValidationProblem> problems) {
        if (Double.isNaN(value) || Double.isInfinite(value) || value < 0) {
            problems.add(new ValidationProblem(PATH + "." + field, "must be a finite number >= 0 (0 = the default)"));
        }
    }
}
