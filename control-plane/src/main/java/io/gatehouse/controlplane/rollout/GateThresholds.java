package io.gatehouse.controlplane.rollout;

import io.gatehouse.proto.config.v1.RolloutSettings;

/**
 * A wave gate's thresholds: the candidate config's settings.rollout with config.proto's defaults
 * for fields left 0. Immutable.
 */
public record GateThresholds(double maxErrorRateIncrease, double maxP99Ratio, long minP99IncreaseMs,
                             long minRequests, double shadowSampleRatio) {

    public static final GateThresholds DEFAULT = of(RolloutSettings.getDefaultInstance());

    public static GateThresholds of(RolloutSettings settings) {
        return new GateThresholds(
                settings.getMaxErrorRateIncrease() == 0 ? 0.01 : settings.getMaxErrorRateIncrease(),
                settings.getMaxP99Ratio() == 0 ? 2.0 : settings.getMaxP99Ratio(),
                settings.getMinP99IncreaseMs() == 0 ? 50 : settings.getMinP99IncreaseMs(),
                settings.getMinRequests() == 0 ? 20 : settings.getMinRequests(),
                settings.getShadowSampleRatio() == 0 ? 0.05 : settings.getShadowSampleRatio());
    }
}
