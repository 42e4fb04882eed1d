package dev.gantry.agent.gpu;

import java.util.List;
import java.util.Objects;

import dev.gantry.job.Node;

/**
 * Whether new GPU readings are worth a write to {@code /nodes/<id>}: every write is a Raft entry replicated to
 * every member and an event for every watcher of {@code /nodes/}, so a thousand agents writing each jitter of
 * utilisation would load the cluster for nothing. Identity and health changes always count; gauges only when
 * they move by more than a step an operator would notice.
 */
public final class Telemetry {
    static final long MEMORY_STEP_MIB = 1024;
    static final int UTILIZATION_STEP = 10;
    static final int TEMPERATURE_STEP = 5;
    static final double POWER_STEP_W = 50;

    private Telemetry() {
    }

    public static boolean changed(List<Node.Gpu> before, List<Node.Gpu> after) {
        if (before.size() != after.size()) {
            return true;
        }
        for (int i = 0; i < before.size(); i++) {
            if (changed(before.get(i), after.get(i))) {
                return true;
            }
        }
        return false;
    }

    static boolean changed(Node.Gpu a, Node.Gpu b) {
        return a.index() != b.index()
                || !Objects.equals(a.uuid(), b.uuid())
                || !Objects.equals(a.name(), b.name())
                || !Objects.equals(a.memoryTotalMiB(), b.memoryTotalMiB())
                || a.healthy() != b.healthy()
                || moved(a.memoryUsedMiB(), b.memoryUsedMiB(), MEMORY_STEP_MIB)
                || moved(a.utilizationPercent(), b.utilizationPercent(), UTILIZATION_STEP)
                || moved(a.temperatureC(), b.temperatureC(), TEMPERATURE_STEP)
                || moved(a.powerW(), b.powerW(), POWER_STEP_W);
    }

    private static boolean moved(Number a, Number b, double step) {
        if (a == null || b == null) {
            return (a == null) != (b == null);
        }
        return Math.abs(a.doubleValue() - b.doubleValue()) >= step;
    }
}
