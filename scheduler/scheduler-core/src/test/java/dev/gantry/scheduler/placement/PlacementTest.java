package dev.gantry.scheduler.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.gantry.scheduler.placement.NodeCapacity.Availability;

class PlacementTest {
    private static NodeCapacity node(String id, int gpus, int held, String model, long memoryGiB) {
        return node(id, Availability.READY, gpus, held, model, memoryGiB);
    }

    private static NodeCapacity node(String id, Availability availability, int gpus, int held, String model, long memoryGiB) {
        List<GpuSlot> slots = IntStream.range(0, gpus).mapToObj(i -> new GpuSlot(id + "-gpu" + i, model, memoryGiB * 1024, true)).toList();
        Set<String> heldIds = Set.copyOf(IntStream.range(0, held).mapToObj(i -> id + "-gpu" + i).toList());
        return new NodeCapacity(id, 1, availability, slots, heldIds);
    }

    private static String placedOn(Decision decision) {
        assertThat(decision).isInstanceOf(Decision.Placed.class);
        return ((Decision.Placed) decision).node().id();
    }

    private static String reason(Decision decision) {
        assertThat(decision).isInstanceOf(Decision.Waiting.class);
        return ((Decision.Waiting) decision).reason();
    }

    @Test
    void bestFitTakesTheNodeWithTheFewestFreeGpusThatStillFits() {
        Placement placement = new Placement(List.of(
                node("a", 8, 0, "NVIDIA H100 80GB HBM3", 80),
                node("b", 8, 5, "NVIDIA H100 80GB HBM3", 80),
                node("c", 8, 7, "NVIDIA H100 80GB HBM3", 80)));
        assertThat(placedOn(placement.place("t1", new Request(2, null, null)))).isEqualTo("b");
        Decision.Placed one = (Decision.Placed) placement.place("t2", new Request(1, null, null));
        // b and c now have 1 free each: the tie goes to the lower id.
        assertThat(one.node().id()).isEqualTo("b");
        assertThat(one.gpus()).containsExactly("b-gpu7");
        assertThat(placedOn(placement.place("t3", new Request(4, "h100", 80)))).isEqualTo("a");
    }

    @Test
    void matchesGpuModelAsCaseInsensitiveSubstringAndMemory() {
        Placement placement = new Placement(List.of(
                node("a100", 4, 0, "NVIDIA A100-SXM4-40GB", 40),
                node("h100", 4, 0, "NVIDIA H100 80GB HBM3", 80)));
        assertThat(placedOn(placement.place("t1", new Request(1, "h100", null)))).isEqualTo("h100");
        assertThat(placedOn(placement.place("t2", new Request(1, null, 80)))).isEqualTo("h100");
        assertThat(placedOn(placement.place("t3", new Request(1, "A100", 40)))).isEqualTo("a100");
        assertThat(reason(placement.place("t4", new Request(1, "B200", null))))
                .isEqualTo("needs 1 GPU (B200) on one node; no ready node has a matching healthy GPU");
        assertThat(reason(placement.place("t5", new Request(8, "H100", 80))))
                .isEqualTo("needs 8 GPUs (H100, ≥ 80 GiB) on one node; no ready node has that many (the largest has 4)");
    }

    @Test
    void unhealthyGpusAreNotFree() {
        NodeCapacity n = new NodeCapacity("n", 1, Availability.READY,
                List.of(new GpuSlot("0", "H100", 81920, false), new GpuSlot("1", "H100", 81920, true)), Set.of());
        Placement placement = new Placement(List.of(n));
        assertThat(((Decision.Placed) placement.place("t1", new Request(1, null, null))).gpus()).containsExactly("1");
        assertThat(reason(placement.place("t2", new Request(2, null, null)))).contains("the largest has 1");
    }

    @Test
    void saysWhyWhenNoNodeIsReady() {
        assertThat(reason(new Placement(List.of()).place("t", new Request(1, null, null)))).isEqualTo("no ready nodes");
        assertThat(reason(new Placement(List.of(node("x", Availability.CORDONED, 8, 0, "H100", 80)))
                .place("t", new Request(4, "H100", 80))))
                .isEqualTo("needs 4 GPUs (H100, ≥ 80 GiB) on one node; node x is cordoned");
        assertThat(reason(new Placement(List.of(node("x", Availability.CORDONED, 8, 0, "H100", 80),
                node("y", Availability.DRAINING, 8, 0, "H100", 80))).place("t", new Request(0, null, null))))
                .isEqualTo("needs no GPU; the nodes that could run it are not taking tasks: x (cordoned), y (draining)");
    }

    @Test
    void gpuLessTasksGoToAnyReadyNode() {
        Placement placement = new Placement(List.of(node("full", 2, 2, "H100", 80), node("cordoned", Availability.CORDONED, 0, 0, "-", 0)));
        assertThat(placedOn(placement.place("t", new Request(0, null, null)))).isEqualTo("full");
    }

    @Test
    void aBlockedHighPriorityTaskReservesANodeThatLowerOnesMayNotTake() {
        // Two 8-GPU nodes, each with 2 GPUs busy. The 8-GPU task blocks and reserves one; small tasks backfill the other.
        Placement placement = new Placement(List.of(node("a", 8, 2, "H100", 80), node("b", 8, 3, "H100", 80)));
        assertThat(reason(placement.place("big", new Request(8, null, null))))
                .isEqualTo("needs 8 GPUs on one node; the best node has 6 free");
        assertThat(placement.reservations()).containsEntry("a", "big");
        List<String> small = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Decision d = placement.place("small" + i, new Request(1, null, null));
            small.add(d instanceof Decision.Placed p ? p.node().id() : ((Decision.Waiting) d).reason());
        }
        assertThat(small).containsExactly("b", "b", "b", "b", "b",
                "needs 1 GPU on one node; waiting behind higher-priority task big (node a is held for it)");
    }

    @Test
    void sameShapeTasksKeepStrictOrder() {
        // Full nodes: every 1-GPU task waits, and the first waiting ones hold the nodes, so a GPU that frees goes
        // to the earliest task in the next pass, not to whichever later task happens to fit.
        Placement placement = new Placement(List.of(node("a", 1, 1, "H100", 80), node("b", 1, 1, "H100", 80)));
        for (int i = 0; i < 5; i++) {
            assertThat(placement.place("t" + i, new Request(1, null, null))).isInstanceOf(Decision.Waiting.class);
        }
        assertThat(placement.reservations()).isEqualTo(java.util.Map.of("a", "t0", "b", "t1"));
    }
}
