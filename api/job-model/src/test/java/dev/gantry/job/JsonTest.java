package dev.gantry.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void aTaskRoundTripsWithIsoInstantsAndNoNulls() {
        Task t = Lifecycle.schedule(LifecycleTest.pending(), "gpu-1", List.of("0"), Instant.parse("2025-01-01T00:00:01Z"));
        String json = Json.write(t);
        assertThat(json).contains("\"createdAt\":\"2025-01-01T00:00:00Z\"").doesNotContain("null").doesNotContain("exitCode");
        assertThat(Json.read(json, Task.class)).isEqualTo(t);
    }

    @Test
    void nodesAndStatesRoundTrip() {
        Node node = new Node("gpu-1", "host", List.of(new Node.Gpu(0, "GPU-1", "NVIDIA H100 80GB HBM3", 81559L, 0L, 0, 30, 70.5, true)),
                true, 16, 131072L, Map.of("zone", "a"), "0.1.0", Instant.EPOCH, Instant.EPOCH);
        assertThat(Json.read(Json.write(node), Node.class)).isEqualTo(node);
        NodeState state = new NodeState(NodeState.State.DRAINING, "maintenance", Instant.EPOCH);
        assertThat(Json.write(state)).contains("\"state\":\"draining\"");
        assertThat(Json.read(Json.write(state), NodeState.class)).isEqualTo(state);
        Assignment a = Assignment.of(LifecycleTest.scheduled());
        assertThat(Json.read(Json.write(a), Assignment.class)).isEqualTo(a);
    }

    @Test
    void gpuModelMatchesAsASubstringAndMemoryInGiB() {
        TaskSpec.Resources r = new TaskSpec.Resources(1, "h100", 40);
        assertThat(r.matches("NVIDIA H100 80GB HBM3", 81559)).isTrue();
        assertThat(r.matches("NVIDIA A100-SXM4-80GB", 81920)).isFalse();
        assertThat(r.matches("NVIDIA H100 PCIe", 39 * 1024)).isFalse();
        TaskSpec.Resources eighty = new TaskSpec.Resources(1, null, 80);
        assertThat(eighty.matches("NVIDIA H100 80GB HBM3", 81559)).as("79.6 GiB rounds to the 80 its name says").isTrue();
        assertThat(eighty.matches("NVIDIA L40S", 46068)).isFalse();
    }

    @Test
    void taskIdsAreTheNameAndFiveBase36Characters() {
        assertThat(TaskIds.generate("qwen-lora")).matches("qwen-lora-[0-9a-z]{5}");
        assertThat(Keys.assignment("gpu-1", "t-1")).isEqualTo("/assignments/gpu-1/t-1");
        assertThat(Keys.nodeState("gpu-1")).isEqualTo("/config/nodes/gpu-1");
        assertThat(Keys.lastSegment(Keys.task("t-1"))).isEqualTo("t-1");
    }
}
