package dev.gantry.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.gantry.job.Lifecycle;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.Informer;
import dev.gantry.scheduler.placement.NodeCapacity;
import dev.gantry.scheduler.placement.NodeCapacity.Availability;

class SchedulerMetricsTest {
    private static final Instant T0 = Instant.parse("2026-11-21T06:00:00Z");
    private static final TaskSpec SPEC = new TaskSpec("demo", null, null, null, null, null, null, null, List.of("true"), null, null)
            .withDefaults();

    private static Task submitted(String id, Instant at) {
        return Task.submitted(id, SPEC, "test", at);
    }

    private static ClusterView view(List<Task> pending, NodeCapacity... nodes) {
        Map<String, NodeCapacity> byId = new LinkedHashMap<>();
        for (NodeCapacity node : nodes) {
            byId.put(node.id(), node);
        }
        List<Informer.Entry<Task>> entries = pending.stream().map(t -> new Informer.Entry<>("/tasks/" + t.id(), t, 1)).toList();
        return new ClusterView(1, entries, byId, List.of());
    }

    private static NodeCapacity node(String id, Availability availability) {
        return new NodeCapacity(id, 1, availability, List.of(), Set.of());
    }

    @Test
    void oldestPendingCountsFromSubmissionOrTheLatestRequeue() {
        SchedulerMetrics metrics = new SchedulerMetrics();
        Task old = submitted("old", T0);
        Task running = Lifecycle.start(Lifecycle.schedule(submitted("requeued", T0.minusSeconds(3600)), "a", List.of("0"), T0), T0);
        Task requeued = Lifecycle.requeue(running, "node a lost", T0.plusSeconds(100));
        metrics.observed(view(List.of(requeued, old)), T0.plusSeconds(130));
        assertThat(metrics.pending()).isEqualTo(2);
        // The requeued task was submitted an hour earlier, but it has been waiting only since its requeue.
        assertThat(metrics.oldestPendingSeconds()).isEqualTo(130);

        metrics.observed(view(List.of()), T0.plus(Duration.ofHours(2)));
        assertThat(metrics.pending()).isZero();
        assertThat(metrics.oldestPendingSeconds()).isZero();
    }

    @Test
    void aSchedulableNodeThatVanishesIsLostButACordonedOrDrainedOneIsNot() {
        SchedulerMetrics metrics = new SchedulerMetrics();
        metrics.observed(view(List.of(), node("a", Availability.READY), node("b", Availability.CORDONED),
                node("c", Availability.DRAINING), node("d", Availability.READY)), T0);
        assertThat(metrics.nodes()).isEqualTo(4);
        metrics.observed(view(List.of(), node("d", Availability.READY)), T0.plusSeconds(1));
        assertThat(metrics.nodes()).isEqualTo(1);
        assertThat(metrics.nodesLost()).as("only a: b and c were taken out of service first").isEqualTo(1);
        metrics.observed(view(List.of(), node("d", Availability.READY)), T0.plusSeconds(2));
        assertThat(metrics.nodesLost()).as("a loss is counted once").isEqualTo(1);
    }

    @Test
    void standingByZeroesTheGaugesAndForgetsTheNodes() {
        SchedulerMetrics metrics = new SchedulerMetrics();
        metrics.leading(true);
        metrics.observed(view(List.of(submitted("t", T0)), node("a", Availability.READY)), T0.plusSeconds(5));
        assertThat(metrics.leader()).isEqualTo(1);
        metrics.leading(false);
        assertThat(metrics.leader()).isZero();
        assertThat(metrics.pending()).isZero();
        assertThat(metrics.oldestPendingSeconds()).isZero();
        assertThat(metrics.nodes()).isZero();
        // Elected again later: a node that went away meanwhile was not seen by this replica's passes, so not counted.
        metrics.leading(true);
        metrics.observed(view(List.of()), T0.plusSeconds(60));
        assertThat(metrics.nodesLost()).isZero();
    }

    @Test
    void countsEachMoveIntoAFinalStatusOnce() {
        SchedulerMetrics metrics = new SchedulerMetrics();
        Task running = Lifecycle.start(Lifecycle.schedule(submitted("t", T0), "a", List.of("0"), T0), T0);
        metrics.taskChanged(null, submitted("new", T0));
        metrics.taskChanged(running, Lifecycle.finish(running, 0, null, T0));
        metrics.taskChanged(running, Lifecycle.finish(running, 3, null, T0));
        metrics.taskChanged(submitted("p", T0), Lifecycle.cancel(submitted("p", T0), "no", T0));
        Task failed = Lifecycle.fail(running, "gone", T0);
        // Already final when first seen (a listing after a restart), a rewrite of a final task, a deletion: not counted.
        metrics.taskChanged(null, failed);
        metrics.taskChanged(failed, failed);
        metrics.taskChanged(failed, null);
        assertThat(metrics.finished()).containsExactly(
                Map.entry(TaskStatus.SUCCEEDED, 1L), Map.entry(TaskStatus.FAILED, 1L), Map.entry(TaskStatus.CANCELLED, 1L));
    }
}
