package io.gatehouse.rollout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** LOCAL STUB until the lead's parser lands in main (same API); replaced on merge. */
public record RolloutPlan(List<Step> steps) {

    private static final Pattern STEP = Pattern.compile("\\s*([^@]+?)\\s*(?:@\\s*(\\d+)(ms|s|m|h))?\\s*");

    public static RolloutPlan parse(String spec) throws RolloutPlanException {
        List<String> problems = new ArrayList<>();
        List<Step> steps = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            throw new RolloutPlanException(List.of("empty plan"));
        }
        for (String part : spec.split(",")) {
            Matcher m = STEP.matcher(part);
            if (!m.matches()) {
                problems.add("cannot read step '" + part.strip() + "'");
                continue;
            }
            Duration bake = m.group(2) == null ? Duration.ZERO : switch (m.group(3)) {
                case "ms" -> Duration.ofMillis(Long.parseLong(m.group(2)));
                case "s" -> Duration.ofSeconds(Long.parseLong(m.group(2)));
                case "m" -> Duration.ofMinutes(Long.parseLong(m.group(2)));
                default -> Duration.ofHours(Long.parseLong(m.group(2)));
            };
            String s = m.group(1);
            Selector selector;
            if (s.equals("shadow")) {
                selector = new Shadow();
            } else if (s.equals("all")) {
                selector = new All();
            } else if (s.startsWith("region=")) {
                selector = new Region(s.substring(7));
            } else if (s.startsWith("node=")) {
                selector = new NodeId(s.substring(5));
            } else if (s.startsWith("label:") && s.contains("=")) {
                selector = new Label(s.substring(6, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
            } else if (s.endsWith("%")) {
                try {
                    int p = Integer.parseInt(s.substring(0, s.length() - 1));
                    if (p < 1 || p > 100) {
                        problems.add("share must be 1-100%: '" + s + "'");
                        continue;
                    }
                    selector = new Share(p);
                } catch (NumberFormatException e) {
                    problems.add("bad share '" + s + "'");
                    continue;
                }
            } else {
                problems.add("unknown selector '" + s + "'");
                continue;
            }
            steps.add(new Step(selector, bake));
        }
        if (!problems.isEmpty()) {
            throw new RolloutPlanException(problems);
        }
        if (steps.isEmpty() || !(steps.getLast().selector() instanceof All)) {
            steps.add(new Step(new All(), Duration.ZERO));
        }
        return new RolloutPlan(List.copyOf(steps));
    }

    public static RolloutPlan allAtOnce() {
        return new RolloutPlan(List.of(new Step(new All(), Duration.ZERO)));
    }

    public String canonical() {
        return steps.stream().map(s -> s.selector().text() + (s.bake().isZero() ? "" : "@" + s.bake().toSeconds() + "s"))
                .collect(Collectors.joining(", "));
    }

    public boolean isAllAtOnce() {
        return steps.size() == 1 && steps.getFirst().selector() instanceof All;
    }

    public Optional<Duration> shadow() {
        return !steps.isEmpty() && steps.getFirst().selector() instanceof Shadow
                ? Optional.of(steps.getFirst().bake()) : Optional.empty();
    }

    public List<Step> waves() {
        return shadow().isPresent() ? steps.subList(1, steps.size()) : steps;
    }

    public RolloutPlan withShadow(Duration d) {
        if (shadow().isPresent()) {
            return this;
        }
        List<Step> s = new ArrayList<>();
        s.add(new Step(new Shadow(), d));
        s.addAll(steps);
        return new RolloutPlan(List.copyOf(s));
    }

    public record Step(Selector selector, Duration bake) {
    }

    public sealed interface Selector permits Shadow, Region, NodeId, Label, Share, All {
        String text();
    }

    public record Shadow() implements Selector {
        public String text() {
            return "shadow";
        }
    }

    public record Region(String region) implements Selector {
        public String text() {
            return "region=" + region;
        }
    }

    public record NodeId(String id) implements Selector {
        public String text() {
            return "node=" + id;
        }
    }

    public record Label(String key, String value) implements Selector {
        public String text() {
            return "label:" + key + "=" + value;
        }
    }

    public record Share(int percent) implements Selector {
        public String text() {
            return percent + "%";
        }
    }

    public record All() implements Selector {
        public String text() {
            return "all";
        }
    }
}
