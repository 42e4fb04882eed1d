package dev.gantry.bench;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/** The outcome of one run: throughput of successful requests and their latency percentiles. */
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
        double maxMs) {

    static RunReport of(String workload, BenchOptions options, LatencyRecorder.Interval interval, long elapsedNanos) {
        Histogram latencies = interval.latencies();
        double seconds = elapsedNanos / 1e9;
        long requests = latencies.getTotalCount();
        return new RunReport(workload, options.clients(), options.conns(), requests, interval.failures(), seconds,
                requests / seconds,
                millis(latencies.getValueAtPercentile(50)),
                millis(latencies.getValueAtPercentile(90)),
                millis(latencies.getValueAtPercentile(99)),
                millis(latencies.getMaxValue()));
    }

    private static double millis(long micros) {
        return micros / 1000.0;
    }

    String toText() {
        return String.format(Locale.ROOT,
                "%-18s clients=%-3d conns=%-3d %9.1f req/s  p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms  requests=%d errors=%d time=%.1fs",
                workload, clients, conns, throughput, p50Ms, p90Ms, p99Ms, maxMs, requests, errors, seconds);
    }

    /** One line of JSON with flat fields, easy for jq or awk. */
    String toJson() {
        return String.format(Locale.ROOT,
                "{\"workload\":\"%s\",\"clients\":%d,\"conns\":%d,\"throughput\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
                        + "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"requests\":%d,\"errors\":%d,\"seconds\":%.3f}",
                workload, clients, conns, throughput, p50Ms, p90Ms, p99Ms, maxMs, requests, errors, seconds);
    }
}
