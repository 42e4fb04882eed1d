package dev.gantry.bench;

import java.time.Duration;

/**
 * How long a phase of a run lasts: a number of answers or a span of time. {@code --warmup} takes
 * either ({@code 20000} or {@code 5s}); {@code --total} takes a count and {@code --duration} a time.
 */
record Limit(int answers, Duration time) {

    static Limit answers(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("a request count must be >= 0, got " + count);
        }
        return new Limit(count, null);
    }

    static Limit time(Duration time) {
        return new Limit(0, time);
    }

    boolean isTime() {
        return time != null;
    }

    /** Parses {@code 500ms}, {@code 10s}, {@code 2m} as a time and a bare number as a request count. */
    static Limit parse(String text) {
        try {
            if (text.endsWith("ms")) {
                return time(Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2))));
            }
            if (text.endsWith("s")) {
                return time(Duration.ofMillis(Math.round(Double.parseDouble(text.substring(0, text.length() - 1)) * 1000)));
            }
            if (text.endsWith("m")) {
                return time(Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)) * 60));
            }
            return answers(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a request count (20000) or a time (500ms, 10s, 2m), got '" + text + "'");
        }
    }

    @Override
    public String toString() {
        return isTime() ? time.toMillis() / 1000.0 + "s" : answers + " requests";
    }
}
