package dev.gantry.agent.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.gantry.job.Node;

class TelemetryTest {
    private static Node.Gpu gpu(long usedMiB, int utilization, int temperature, boolean healthy) {
        return new Node.Gpu(0, "GPU-1", "NVIDIA H100 80GB HBM3", 81559L, usedMiB, utilization, temperature, 120.0, healthy);
    }

    @Test
    void jitterIsNotWorthAWrite() {
        assertThat(Telemetry.changed(List.of(gpu(1000, 50, 60, true)), List.of(gpu(1500, 55, 62, true)))).isFalse();
    }

    @Test
    void stepsAnOperatorWouldNoticeAre() {
        Node.Gpu before = gpu(1000, 50, 60, true);
        assertThat(Telemetry.changed(List.of(before), List.of(gpu(3000, 50, 60, true)))).as("memory").isTrue();
        assertThat(Telemetry.changed(List.of(before), List.of(gpu(1000, 90, 60, true)))).as("utilisation").isTrue();
        assertThat(Telemetry.changed(List.of(before), List.of(gpu(1000, 50, 70, true)))).as("temperature").isTrue();
    }

    @Test
    void healthAndTheSetOfGpusAlwaysCount() {
        Node.Gpu before = gpu(1000, 50, 60, true);
        assertThat(Telemetry.changed(List.of(before), List.of(gpu(1000, 50, 60, false)))).isTrue();
        assertThat(Telemetry.changed(List.of(before), List.of())).isTrue();
        assertThat(Telemetry.changed(List.of(before), List.of(new Node.Gpu(0, "GPU-2", before.name(), 81559L, 1000L, 50, 60, 120.0, true))))
                .isTrue();
    }

    @Test
    void aReadingThatAppearsOrDisappearsCounts() {
        assertThat(Telemetry.changed(List.of(gpu(1000, 50, 60, true)),
                List.of(new Node.Gpu(0, "GPU-1", "NVIDIA H100 80GB HBM3", 81559L, 1000L, null, 60, 120.0, true)))).isTrue();
    }
}
