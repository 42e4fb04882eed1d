package dev.gantry.api.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.gantry.job.Lifecycle;
import dev.gantry.job.Progress;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;

class ProgressHistoryTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static Task running(String id) {
        TaskSpec spec = new TaskSpec(id, null, null, null, null, null, null, 3, List.of("true"), null, null);
        return Lifecycle.start(Lifecycle.schedule(Task.submitted(id, spec, null, T0), "gpu-1", List.of("0"), T0), T0);
    }

    private static Task at(Task task, long step) {
        return Lifecycle.progress(task, new Progress(step, 100L, (double) step, 2.0 / step, 100 - step, T0.plusSeconds(step)), T0.plusSeconds(step));
    }

    @Test
    void appendsEachNewRecordOnce() {
        ProgressHistory history = new ProgressHistory();
        Task task = running("a");
        history.record(task); // no progress yet
        history.record(at(task, 1));
        history.record(at(task, 1)); // the same record seen again (a relist)
        history.record(at(task, 2));
        assertThat(history.curve("a").points()).extracting(ProgressHistory.Point::step).containsExactly(1L, 2L);
        assertThat(history.curve("a").points().get(1).loss()).isEqualTo(1.0);
        assertThat(history.curve("unknown").points()).isEmpty();
    }

    @Test
    void aFullCurveKeepsItsShapeAtHalfTheResolution() {
        ProgressHistory history = new ProgressHistory(10, 5);
        Task task = running("a");
        for (long step = 1; step <= 11; step++) {
            history.record(at(task, step));
        }
        List<Long> steps = history.curve("a").points().stream().map(ProgressHistory.Point::step).toList();
        assertThat(steps).containsExactly(1L, 3L, 5L, 7L, 9L, 11L);
    }

    @Test
    void aRequeuedTaskStartsANewCurve() {
        ProgressHistory history = new ProgressHistory();
        Task task = at(running("a"), 5);
        history.record(task);
        Task again = Lifecycle.start(Lifecycle.schedule(Lifecycle.requeue(task, "node lost", T0), "gpu-2", List.of("0"), T0), T0);
        history.record(at(again, 1));
        assertThat(history.curve("a").attempt()).isEqualTo(1);
        assertThat(history.curve("a").points()).extracting(ProgressHistory.Point::step).containsExactly(1L);
    }

    @Test
    void forgetsTheTaskUpdatedLongestAgoWhenFull() {
        ProgressHistory history = new ProgressHistory(10, 2);
        history.record(at(running("a"), 1));
        history.record(at(running("b"), 1));
        history.record(at(running("a"), 2));
        history.record(at(running("c"), 1));
        assertThat(history.curve("b").points()).isEmpty();
        assertThat(history.curve("a").points()).hasSize(2);
        assertThat(history.curve("c").points()).hasSize(1);
    }
}
