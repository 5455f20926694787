package io.gatehouse.rollout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A staged rollout as the operator writes it: ordered steps separated by commas, each a selector of
 * data planes and an optional bake time, e.g. {@code "shadow@30s, region=eu@2m, 50%@2m, all"}.
 *
 * <ul>
 *   <li>{@code shadow@D} (first step only): every data plane evaluates the candidate beside the
 *       active version for D, acting on none of it.</li>
 *   <li>{@code region=NAME}, {@code node=ID}, {@code label:KEY=VALUE}: the data planes so named.</li>
 *   <li>{@code N%} (1-100, increasing): enough more data planes that N% of the fleet runs the
 *       candidate.</li>
 *   <li>{@code all}: every data plane not moved yet (last step only).</li>
 * </ul>
 *
 * A bake is {@code @} and a duration ({@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h},
 * {@code 1m30s}; at most 24 h); omitted, it is 0. A plan whose last step does not select everyone
 * ends with an implicit {@code all}. One parser for the CLI (which checks a plan before sending it)
 * and the control plane (which decides), so both read a plan the same way; {@link #canonical()}
 * is what is stored and shown.
 */
public record RolloutPlan(List<Step> steps) {

    /** Longest plan text accepted; a plan is typed by people, so this is generous. */
    public static final int MAX_SPEC_CHARS = 1024;
    /** Most steps in a plan (after the implicit final one). */
    public static final int MAX_STEPS = 16;
    public static final Duration MAX_BAKE = Duration.ofHours(24);

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,63}");
    private static final Pattern DURATION = Pattern.compile("(?:\\d{1,9}(?:ms|h|m|s))+");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d{1,9})(ms|h|m|s)");
    private static final Pattern SHARE = Pattern.compile("(\\d{1,3})%");

    public RolloutPlan {
        steps = List.copyOf(steps);
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a plan has at least one step");
        }
    }

    /** One step: which data planes, and how long it bakes before the next step may start. */
    public record Step(Selector selector, Duration bake) {
        public Step {
            Objects.requireNonNull(selector, "selector");
            Objects.requireNonNull(bake, "bake");
        }

        /** The step as written in a canonical plan, e.g. {@code "region=eu@2m"} or {@code "all"}. */
        public String text() {
            return bake.isZero() ? selector.text() : selector.text() + "@" + format(bake);
        }
    }

    /** Which data planes a step moves to the candidate. */
    public sealed interface Selector permits Shadow, Region, NodeId, Label, Share, All {
        /** The selector as written in a canonical plan. */
        String text();
    }

    /** Wave 0: every data plane evaluates the candidate, none runs it. */
    public record Shadow() implements Selector {
        @Override
        public String text() {
            return "shadow";
        }
    }

    public record Region(String region) implements Selector {
        @Override
        public String text() {
            return "region=" + region;
        }
    }

    public record NodeId(String id) implements Selector {
        @Override
        public String text() {
            return "node=" + id;
        }
    }

    public record Label(String key, String value) implements Selector {
        @Override
        public String text() {
            return "label:" + key + "=" + value;
        }
    }

    /** Enough more data planes that {@code percent}% of the fleet runs the candidate. */
    public record Share(int percent) implements Selector {
        @Override
        public String text() {
            return percent + "%";
        }
    }

    /** Every data plane not moved yet. */
    public record All() implements Selector {
        @Override
        public String text() {
            return "all";
        }
    }

    /** Today's behaviour: every data plane at once, no shadow, no bake. */
    public static RolloutPlan allAtOnce() {
        return new RolloutPlan(List.of(new Step(new All(), Duration.ZERO)));
    }

    /**
     * Reads {@code spec}. Every problem is collected before failing, each naming its step, so an
     * operator fixes a plan in one go.
     */
    public static RolloutPlan parse(String spec) throws RolloutPlanException {
        if (spec == null || spec.isBlank()) {
            throw new RolloutPlanException(List.of("the plan is empty; e.g. \"region=eu@2m, 50%@2m, all\""));
        }
        if (spec.length() > MAX_SPEC_CHARS) {
            throw new RolloutPlanException(List.of("the plan is longer than " + MAX_SPEC_CHARS + " characters"));
        }
        List<String> problems = new ArrayList<>();
        List<Step> steps = new ArrayList<>();
        String[] parts = spec.split(",", -1);
        if (parts.length > MAX_STEPS) {
            throw new RolloutPlanException(List.of("the plan has " + parts.length + " steps; at most " + MAX_STEPS));
        }
        int lastShare = 0;
        for (int i = 0; i < parts.length; i++) {
            String written = parts[i].strip();
            String where = "step " + (i + 1) + (written.isEmpty() ? "" : " \"" + printable(written) + "\"");
            if (written.isEmpty()) {
                problems.add(where + " is empty");
                continue;
            }
            Optional<Step> step = step(written, where, problems);
            if (step.isEmpty()) {
                continue;
            }
            Selector selector = step.get().selector();
            if (selector instanceof Shadow) {
                if (i != 0) {
                    problems.add(where + ": shadow can only be the first step (it comes before any data plane runs the candidate)");
                } else if (step.get().bake().isZero()) {
                    problems.add(where + ": shadow needs a duration, e.g. shadow@30s");
                }
            }
            if (selector instanceof Share share) {
                if (share.percent() <= lastShare) {
                    problems.add(where + ": shares must grow from step to step (the previous one is " + lastShare + "%)");
                }
                lastShare = Math.max(lastShare, share.percent());
            }
            for (int j = 0; j < steps.size(); j++) {
                if (steps.get(j).selector().equals(selector) && !(selector instanceof Share)) {
                    problems.add(where + ": selects the same data planes as an earlier step");
                }
            }
            if (i < parts.length - 1 && (selector instanceof All || selector instanceof Share s && s.percent() == 100)) {
                problems.add(where + ": selects every data plane, so it must be the last step");
            }
            steps.add(step.get());
        }
        if (!problems.isEmpty()) {
            throw new RolloutPlanException(problems);
        }
        Selector last = steps.get(steps.size() - 1).selector();
        if (!(last instanceof All) && !(last instanceof Share s && s.percent() == 100)) {
            if (steps.size() == MAX_STEPS) {
                throw new RolloutPlanException(List.of("the plan has " + MAX_STEPS
                        + " steps and needs a final \"all\"; at most " + MAX_STEPS + " steps"));
            }
            steps.add(new Step(new All(), Duration.ZERO));
        }
        return new RolloutPlan(steps);
    }

    private static Optional<Step> step(String written, String where, List<String> problems) {
        String selectorText = written;
        Duration bake = Duration.ZERO;
        boolean bakeValid = true;
        int at = written.indexOf('@');
        if (at >= 0) {
            selectorText = written.substring(0, at).strip();
            String durationText = written.substring(at + 1).strip().toLowerCase(Locale.ROOT);
            Optional<Duration> parsed = duration(durationText);
            if (parsed.isEmpty()) {
                problems.add(where + ": \"" + printable(durationText) + "\" is not a duration; write e.g. 30s, 2m, 1h or 1m30s");
                bakeValid = false;
            } else if (parsed.get().compareTo(MAX_BAKE) > 0) {
                problems.add(where + ": a bake of " + format(parsed.get()) + " is longer than 24h");
                bakeValid = false;
            } else {
                bake = parsed.get();
            }
        }
        // The selector is read even when the bake was not, so both of a step's problems are reported.
        final Duration stepBake = bake;
        Optional<Step> step = selector(selectorText, where, problems).map(selector -> new Step(selector, stepBake));
        return bakeValid ? step : Optional.empty();
    }

    private static Optional<Selector> selector(String text, String where, List<String> problems) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.equals("shadow")) {
            return Optional.of(new Shadow());
        }
        if (lower.equals("all")) {
            return Optional.of(new All());
        }
        Matcher share = SHARE.matcher(text);
        if (share.matches()) {
            int percent = Integer.parseInt(share.group(1));
            if (percent < 1 || percent > 100) {
                problems.add(where + ": a share is 1% to 100%");
                return Optional.empty();
            }
            return Optional.of(new Share(percent));
        }
        if (lower.startsWith("region=")) {
            return name(text.substring("region=".length()), "region", where, problems).map(Region::new);
        }
        if (lower.startsWith("node=")) {
            return name(text.substring("node=".length()), "node id", where, problems).map(NodeId::new);
        }
        if (lower.startsWith("label:")) {
            String pair = text.substring("label:".length());
            int eq = pair.indexOf('=');
            if (eq < 0) {
                problems.add(where + ": a label selector is label:KEY=VALUE");
                return Optional.empty();
            }
            Optional<String> key = name(pair.substring(0, eq), "label key", where, problems);
            Optional<String> value = name(pair.substring(eq + 1), "label value", where, problems);
            return key.isPresent() && value.isPresent() ? Optional.of(new Label(key.get(), value.get())) : Optional.empty();
        }
        problems.add(where + ": unknown selector; use shadow, region=NAME, node=ID, label:KEY=VALUE, N% or all");
        return Optional.empty();
    }

    private static Optional<String> name(String text, String what, String where, List<String> problems) {
        if (!NAME.matcher(text).matches()) {
            problems.add(where + ": a " + what + " is 1-63 characters of A-Z a-z 0-9 . _ -");
            return Optional.empty();
        }
        return Optional.of(text);
    }

    private static Optional<Duration> duration(String text) {
        if (!DURATION.matcher(text).matches()) {
            return Optional.empty();
        }
        Duration total = Duration.ZERO;
        Matcher part = DURATION_PART.matcher(text);
        while (part.find()) {
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            });
        }
        return Optional.of(total);
    }

    /** {@code 1h30m}, {@code 2m}, {@code 45s}, {@code 1m0s500ms} style: exact, shortest units first dropped. */
    static String format(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long hours = duration.toHours();
        int minutes = duration.toMinutesPart();
        int seconds = duration.toSecondsPart();
        int millis = duration.toMillisPart();
        if (hours > 0) {
            out.append(hours).append('h');
        }
        if (minutes > 0) {
            out.append(minutes).append('m');
        }
        if (seconds > 0) {
            out.append(seconds).append('s');
        }
        if (millis > 0) {
            out.append(millis).append("ms");
        }
        return out.toString();
    }

    /** A step as quoted back in a problem: control characters shown as '?', long ones cut. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(64).forEach(c -> out.appendCodePoint(c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ? '?' : c));
        return text.codePointCount(0, text.length()) > 64 ? out + "..." : out.toString();
    }

    /** The plan as stored and shown: every step, the implicit final one included, e.g. "region=eu@2m, all". */
    public String canonical() {
        List<String> texts = new ArrayList<>();
        for (Step step : steps) {
            texts.add(step.text());
        }
        return String.join(", ", texts);
    }

    /** Exactly today's apply: one step selecting everyone, no shadow, no bake. */
    public boolean isAllAtOnce() {
        return steps.size() == 1 && steps.get(0).selector() instanceof All && steps.get(0).bake().isZero();
    }

    /** How long the leading shadow step lasts; empty when the plan has none. */
    public Optional<Duration> shadow() {
        Step first = steps.get(0);
        return first.selector() instanceof Shadow ? Optional.of(first.bake()) : Optional.empty();
    }

    /** The steps that move data planes to the candidate (all but a leading shadow step), in order. */
    public List<Step> waves() {
        return shadow().isPresent() ? steps.subList(1, steps.size()) : steps;
    }

    /** This plan with a leading shadow step of {@code duration} when it has none (--expect-changes needs one). */
    public RolloutPlan withShadow(Duration duration) {
        if (shadow().isPresent()) {
            return this;
        }
        if (duration.isZero() || duration.isNegative()) {
            throw new IllegalArgumentException("a shadow step needs a positive duration");
        }
        List<Step> withShadow = new ArrayList<>();
        withShadow.add(new Step(new Shadow(), duration));
        withShadow.addAll(steps);
        return new RolloutPlan(withShadow);
    }

    @Override
    public String toString() {
        return canonical();
    }
}
