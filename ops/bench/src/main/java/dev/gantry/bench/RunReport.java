package dev.gantry.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one run: throughput of successful requests (or delivered events) and their latency
 * percentiles, plus the fields that only one workload has ({@code extra}, printed after the common ones).
 */
record RunReport(
        String workload,
        int clients,
        int conns,
        long requests,
        long errors,
        double seconds,
        double throughput,
        double p50Ms,
        double p90Ms,
        double p99Ms,
        double maxMs,
        Map<String, Object> extra) {

    /** {@code extra}: values that are Long, Integer, Double or String, in the order they should be printed. */
    static RunReport of(String workload, int clients, int conns, Histogram latencies, long errors, long elapsedNanos,
            Map<String, Object> extra) {
        double seconds = elapsedNanos / 1e9;
        long requests = latencies.getTotalCount();
        return new RunReport(workload, clients, conns, requests, errors, seconds,
                seconds > 0 ? requests / seconds : 0,
                millis(latencies.getValueAtPercentile(50)),
                millis(latencies.getValueAtPercentile(90)),
                millis(latencies.getValueAtPercentile(99)),
                millis(latencies.getMaxValue()),
                new LinkedHashMap<>(extra));
    }

    /** This report with {@code more} fields after the extra ones it has. */
    RunReport withExtra(Map<String, Object> more) {
        Map<String, Object> all = new LinkedHashMap<>(extra);
        all.putAll(more);
        return new RunReport(workload, clients, conns, requests, errors, seconds, throughput, p50Ms, p90Ms, p99Ms, maxMs, all);
    }

    static double millis(long micros) {
        return micros / 1000.0;
    }

    String toText() {
        String common = String.format(Locale.ROOT,
                "%-18s clients=%-3d conns=%-3d %9.1f %s  p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms  %s=%d errors=%d time=%.1fs",
                workload, clients, conns, throughput, unit(), p50Ms, p90Ms, p99Ms, maxMs,
                workload.startsWith("watch") ? "events" : "requests", requests, errors, seconds);
        if (extra.isEmpty()) {
            return common;
        }
        return common + "\n" + " ".repeat(19) + extra.entrySet().stream()
                .map(e -> e.getKey() + "=" + format(e.getValue()))
                .collect(Collectors.joining(" "));
    }

    private String unit() {
        return workload.startsWith("watch") ? "events/s" : "req/s";
    }

    /** One line of JSON with flat fields, easy for jq or awk. */
    String toJson() {
        String common = String.format(Locale.ROOT,
                "{\"workload\":\"%s\",\"clients\":%d,\"conns\":%d,\"throughput\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
                        + "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"requests\":%d,\"errors\":%d,\"seconds\":%.3f",
                workload, clients, conns, throughput, p50Ms, p90Ms, p99Ms, maxMs, requests, errors, seconds);
        StringBuilder json = new StringBuilder(common);
        extra.forEach((key, value) -> json.append(",\"").append(key).append("\":")
                .append(value instanceof String text ? "\"" + text + "\"" : format(value)));
        return json.append('}').toString();
    }

    private static String format(Object value) {
        return value instanceof Double number ? String.format(Locale.ROOT, "%.3f", number) : String.valueOf(value);
    }
}
