package dev.gantry.api.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.gantry.job.Lifecycle;
import dev.gantry.job.NodeState;
import dev.gantry.job.Progress;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;

class LiveEventTest {
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
    private static final Task PENDING = Task.submitted("a-abcde",
            new TaskSpec("a", null, null, null, null, null, null, 0, List.of("true"), null, null), null, T);

    @Test
    void namesEachStepOfATasksLife() {
        Task scheduled = Lifecycle.schedule(PENDING, "gpu-1", List.of("0"), T);
        Task running = Lifecycle.start(scheduled, T);
        Task progressed = Lifecycle.progress(running, new Progress(1L, 10L, 10.0, 2.5, 90L, T), T);
        assertThat(LiveEvent.job(null, PENDING, T).kind()).isEqualTo("submitted");
        assertThat(LiveEvent.job(PENDING, Lifecycle.pendingReason(PENDING, "no node fits", T), T).kind()).isEqualTo("updated");
        assertThat(LiveEvent.job(PENDING, scheduled, T)).satisfies(e -> {
            assertThat(e.kind()).isEqualTo("scheduled");
            assertThat(e.node()).isEqualTo("gpu-1");
        });
        assertThat(LiveEvent.job(scheduled, running, T).kind()).isEqualTo("started");
        assertThat(LiveEvent.job(running, progressed, T)).satisfies(e -> {
            assertThat(e.kind()).isEqualTo("progress");
            assertThat(e.progress().loss()).isEqualTo(2.5);
            assertThat(e.notable()).isFalse();
        });
        assertThat(LiveEvent.job(progressed, Lifecycle.finish(progressed, 0, null, T), T).kind()).isEqualTo("succeeded");
        assertThat(LiveEvent.job(progressed, Lifecycle.finish(progressed, 2, null, T), T).kind()).isEqualTo("failed");
        assertThat(LiveEvent.job(running, Lifecycle.cancel(running, "no", T), T).kind()).isEqualTo("cancelled");
        assertThat(LiveEvent.job(progressed, null, T).kind()).isEqualTo("deleted");
    }

    @Test
    void aRequeueIsNotASubmission() {
        TaskSpec spec = new TaskSpec("b", null, null, null, null, null, null, 3, List.of("true"), null, null);
        Task running = Lifecycle.start(Lifecycle.schedule(Task.submitted("b-abcde", spec, null, T), "gpu-1", List.of("0"), T), T);
        LiveEvent requeued = LiveEvent.job(running, Lifecycle.requeue(running, "node gpu-1 lost", T), T);
        assertThat(requeued.kind()).isEqualTo("requeued");
        assertThat(requeued.attempt()).isEqualTo(1);
        assertThat(requeued.notable()).isTrue();
    }

    @Test
    void namesNodeChanges() {
        assertThat(LiveEvent.node("gpu-1", false, true, T).kind()).isEqualTo("joined");
        assertThat(LiveEvent.node("gpu-1", true, true, T).kind()).isEqualTo("updated");
        assertThat(LiveEvent.node("gpu-1", true, false, T).kind()).isEqualTo("lost");
        assertThat(LiveEvent.operator("gpu-1", new NodeState(NodeState.State.DRAINING, "psu", T), T)).satisfies(e -> {
            assertThat(e.kind()).isEqualTo("draining");
            assertThat(e.reason()).isEqualTo("psu");
        });
        assertThat(LiveEvent.operator("gpu-1", null, T).kind()).isEqualTo("uncordoned");
    }
}
