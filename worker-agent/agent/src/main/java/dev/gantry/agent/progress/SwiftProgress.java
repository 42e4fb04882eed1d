package dev.gantry.agent.progress;

import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.gantry.job.Progress;

/**
 * Reads ms-swift's progress records: the dicts its trainer prints on stdout
 * ({@code {'loss': 0.21, 'global_step/max_steps': '45/176', 'percentage': '25.57%', 'remaining_time': '3h 12m 24s', ...}})
 * and the same records as JSON lines in {@code <output dir>/.../logging.jsonl}. Fields are read by name, with
 * either quote style, so a record with extra or missing fields still yields what it has.
 */
public final class SwiftProgress {
    private static final Pattern STEPS = field("global_step/max_steps", "'?\"?(\\d+)/(\\d+)");
    private static final Pattern LOSS = field("loss", "([-+0-9.eE]+|nan|inf)");
    private static final Pattern PERCENT = field("percentage", "['\"]([0-9.]+)%");
    private static final Pattern REMAINING = field("remaining_time", "['\"]([^'\"]*)['\"]");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)\\s*([dhms])");

    private SwiftProgress() {
    }

    private static Pattern field(String name, String value) {
        return Pattern.compile("['\"]" + Pattern.quote(name) + "['\"]\\s*:\\s*" + value);
    }

    /** The progress in this line, if it is a training progress record (it names its step). */
    public static Optional<Progress> parse(String line, Instant now) {
        Matcher steps = STEPS.matcher(line);
        if (!steps.find()) {
            return Optional.empty();
        }
        long step = Long.parseLong(steps.group(1));
        long total = Long.parseLong(steps.group(2));
        Double percent = number(PERCENT, line);
        if (percent == null && total > 0) {
            percent = Math.round(10000.0 * step / total) / 100.0;
        }
        Matcher remaining = REMAINING.matcher(line);
        Long eta = remaining.find() ? seconds(remaining.group(1)) : null;
        return Optional.of(new Progress(step, total, percent, number(LOSS, line), eta, now));
    }

    private static Double number(Pattern pattern, String line) {
        Matcher m = pattern.matcher(line);
        if (!m.find()) {
            return null;
        }
        try {
            double value = Double.parseDouble(m.group(1));
            return Double.isFinite(value) ? value : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** "3h 12m 24s", "1d 2h", "45s" → seconds; null when it says nothing readable. */
    static Long seconds(String text) {
        Matcher part = DURATION_PART.matcher(text);
        long total = 0;
        boolean any = false;
        while (part.find()) {
            any = true;
            long n = Long.parseLong(part.group(1));
            total += switch (part.group(2)) {
                case "d" -> n * 86400;
                case "h" -> n * 3600;
                case "m" -> n * 60;
                default -> n;
            };
        }
        return any ? total : null;
    }
}
