package dev.gantry.server.http;

import java.util.Map;

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
        text.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" counter\n");
        byLabels.forEach((labels, value) -> text.append(name).append('{').append(labels).append("} ").append(value).append('\n'));
    }

    private void metric(String name, String help, String type, double value) {
        text.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n')
                .append(name).append(' ').append(value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value))
                .append('\n');
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
