package dev.gantry.server.http;

import java.math.BigDecimal;
import java.util.Map;

import dev.gantry.kv.metrics.Histogram;

/** Prometheus's text exposition format (version 0.0.4). */
final class PrometheusText {
    private final StringBuilder text = new StringBuilder();

    void gauge(String name, String help, double value) {
        metric(name, help, "gauge", value);
    }

    void counter(String name, String help, double value) {
        metric(name, help, "counter", value);
    }

    /** A counter with one series per label set ({@code a="x",b="y"}). */
    void counters(String name, String help, Map<String, Long> byLabels) {
        header(name, help, "counter");
        byLabels.forEach((labels, value) -> text.append(name).append('{').append(labels).append("} ").append(value).append('\n'));
    }

    void histogram(String name, String help, Histogram.Snapshot histogram) {
        histograms(name, help, Map.of("", histogram));
    }

    /** A histogram with one series per label set ({@code a="x"}): its buckets, {@code _sum} and {@code _count}. */
    void histograms(String name, String help, Map<String, Histogram.Snapshot> byLabels) {
        header(name, help, "histogram");
        byLabels.forEach((labels, h) -> {
            String bucketLabels = labels.isEmpty() ? "" : labels + ",";
            for (int i = 0; i < h.cumulativeCounts().length; i++) {
                String le = i < h.upperBounds().length ? plain(h.upperBounds()[i]) : "+Inf";
                text.append(name).append("_bucket{").append(bucketLabels).append("le=\"").append(le).append("\"} ")
                        .append(h.cumulativeCounts()[i]).append('\n');
            }
            String series = labels.isEmpty() ? "" : "{" + labels + "}";
            text.append(name).append("_sum").append(series).append(' ').append(number(h.sum())).append('\n')
                    .append(name).append("_count").append(series).append(' ').append(h.count()).append('\n');
        });
    }

    private void metric(String name, String help, String type, double value) {
        header(name, help, type);
        text.append(name).append(' ').append(number(value)).append('\n');
    }

    private void header(String name, String help, String type) {
        text.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String number(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }

    /** Bucket bounds as etcd prints them: {@code 0.0001}, not {@code 1.0E-4}. */
    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
