package dev.gantry.job;

import static dev.gantry.job.TaskStatus.CANCELLED;
import static dev.gantry.job.TaskStatus.FAILED;
import static dev.gantry.job.TaskStatus.PENDING;
import static dev.gantry.job.TaskStatus.RUNNING;
import static dev.gantry.job.TaskStatus.SCHEDULED;
import static dev.gantry.job.TaskStatus.SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LifecycleTest {
    static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    static final TaskSpec SPEC = new TaskSpec("job", null, null, null, null, null, null, 2, List.of("true"), null, null).withDefaults();

    static Task pending() {
        return Task.submitted("job-abcde", SPEC, null, T0);
    }

    static Task scheduled() {
        return Lifecycle.schedule(pending(), "gpu-1", List.of("0", "1"), T0.plusSeconds(1));
    }

    static Task running() {
        return Lifecycle.start(scheduled(), T0.plusSeconds(2));
    }

    @Test
    void theHappyPathSetsTimestampsAndTimeline() {
        Task done = Lifecycle.finish(running(), 0, null, T0.plusSeconds(3));
        assertThat(done.status()).isEqualTo(SUCCEEDED);
        assertThat(done.node()).isEqualTo("gpu-1");
        assertThat(done.gpus()).containsExactly("0", "1");
        assertThat(done.scheduledAt()).isEqualTo(T0.plusSeconds(1));
        assertThat(done.startedAt()).isEqualTo(T0.plusSeconds(2));
        assertThat(done.finishedAt()).isEqualTo(T0.plusSeconds(3));
        assertThat(done.updatedAt()).isEqualTo(T0.plusSeconds(3));
        assertThat(done.exitCode()).isZero();
        assertThat(done.reason()).isNull();
        assertThat(done.timeline()).extracting(Transition::to).containsExactly(PENDING, SCHEDULED, RUNNING, SUCCEEDED);
        assertThat(done.timeline().get(1)).isEqualTo(new Transition(T0.plusSeconds(1), PENDING, SCHEDULED, "scheduled on gpu-1", "gpu-1", 0));
    }

    @Test
    void aNonZeroExitFails() {
        Task failed = Lifecycle.finish(running(), 137, null, T0.plusSeconds(3));
        assertThat(failed.status()).isEqualTo(FAILED);
        assertThat(failed.exitCode()).isEqualTo(137);
        assertThat(failed.reason()).isEqualTo("exited with code 137");
    }

    @Test
    void everyNonFinalStatusCanBeCancelledOrFailed() {
        for (Task t : List.of(pending(), scheduled(), running())) {
            Task cancelled = Lifecycle.cancel(t, "by alice", T0.plusSeconds(9));
            assertThat(cancelled.status()).isEqualTo(CANCELLED);
            assertThat(cancelled.reason()).isEqualTo("by alice");
            assertThat(cancelled.finishedAt()).isEqualTo(T0.plusSeconds(9));
            assertThat(cancelled.timeline().getLast().from()).isEqualTo(t.status());
            assertThat(Lifecycle.fail(t, "cannot start", T0).status()).isEqualTo(FAILED);
        }
    }

    @Test
    void requeueGoesBackToPendingWithTheNextAttempt() {
        for (Task t : List.of(scheduled(), running())) {
            Task again = Lifecycle.requeue(t, "node gpu-1 lost", T0.plusSeconds(5));
            assertThat(again.status()).isEqualTo(PENDING);
            assertThat(again.attempt()).isEqualTo(1);
            assertThat(again.node()).isNull();
            assertThat(again.gpus()).isEmpty();
            assertThat(again.startedAt()).isNull();
            assertThat(again.reason()).isEqualTo("node gpu-1 lost; requeued (attempt 1 of 3)");
            assertThat(again.timeline().getLast()).isEqualTo(new Transition(T0.plusSeconds(5), t.status(), PENDING, "node gpu-1 lost", "gpu-1", 1));
        }
    }

    @Test
    void requeuePastMaxRetriesFails() {
        Task t = running();
        for (int i = 0; i < 2; i++) { // maxRetries 2
            t = Lifecycle.requeue(t, "node gpu-1 lost", T0);
            t = Lifecycle.start(Lifecycle.schedule(t, "gpu-1", List.of("0"), T0), T0);
        }
        assertThat(t.attempt()).isEqualTo(2);
        Task failed = Lifecycle.requeue(t, "node gpu-1 lost", T0.plusSeconds(7));
        assertThat(failed.status()).isEqualTo(FAILED);
        assertThat(failed.attempt()).isEqualTo(2);
        assertThat(failed.reason()).isEqualTo("node gpu-1 lost; lost 3 times, maxRetries 2 reached");
        assertThat(failed.finishedAt()).isEqualTo(T0.plusSeconds(7));
    }

    @Test
    void finalStatesAreFinal() {
        Task done = Lifecycle.finish(running(), 0, null, T0);
        assertThatThrownBy(() -> Lifecycle.cancel(done, null, T0)).isInstanceOf(IllegalTransition.class)
                .hasMessage("task job-abcde is SUCCEEDED (final); it cannot become CANCELLED");
        Task cancelled = Lifecycle.cancel(pending(), null, T0);
        assertThatThrownBy(() -> Lifecycle.cancel(cancelled, null, T0)).isInstanceOf(IllegalTransition.class);
        assertThatThrownBy(() -> Lifecycle.schedule(cancelled, "n", List.of(), T0)).isInstanceOf(IllegalTransition.class);
        assertThatThrownBy(() -> Lifecycle.requeue(Lifecycle.fail(running(), "x", T0), "lost", T0)).isInstanceOf(IllegalTransition.class);
    }

    @Test
    void stepsCannotBeSkipped() {
        assertThatThrownBy(() -> Lifecycle.start(pending(), T0)).isInstanceOf(IllegalTransition.class)
                .hasMessage("task job-abcde is PENDING; it cannot become RUNNING");
        assertThatThrownBy(() -> Lifecycle.finish(scheduled(), 0, null, T0)).isInstanceOf(IllegalTransition.class);
        assertThatThrownBy(() -> Lifecycle.requeue(pending(), "lost", T0)).isInstanceOf(IllegalTransition.class);
        assertThatThrownBy(() -> Lifecycle.schedule(running(), "n", List.of(), T0)).isInstanceOf(IllegalTransition.class);
    }

    @Test
    void theTableMatchesTheDesign() {
        Map<TaskStatus, List<TaskStatus>> legal = Map.of(
                PENDING, List.of(SCHEDULED, CANCELLED, FAILED),
                SCHEDULED, List.of(RUNNING, PENDING, CANCELLED, FAILED),
                RUNNING, List.of(SUCCEEDED, FAILED, CANCELLED, PENDING));
        for (TaskStatus from : TaskStatus.values()) {
            for (TaskStatus to : TaskStatus.values()) {
                assertThat(Lifecycle.allowed(from, to)).as(from + " -> " + to)
                        .isEqualTo(legal.getOrDefault(from, List.of()).contains(to));
            }
        }
    }

    @Test
    void pendingReasonIsNotATransition() {
        Task t = Lifecycle.pendingReason(pending(), "no node has 8 free GPUs", T0.plusSeconds(1));
        assertThat(t.reason()).isEqualTo("no node has 8 free GPUs");
        assertThat(t.timeline()).hasSize(1);
        assertThat(Lifecycle.pendingReason(t, "no node has 8 free GPUs", T0.plusSeconds(2))).isSameAs(t);
    }
}
