package dev.gantry.reliability.jobs.check;

import static dev.gantry.reliability.jobs.check.History.NOW;
import static dev.gantry.reliability.jobs.check.History.node;
import static dev.gantry.reliability.jobs.check.History.schedule;
import static dev.gantry.reliability.jobs.check.History.submitted;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.gantry.job.Assignment;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Task;
import dev.gantry.reliability.check.Anomaly;

class TaskCheckerTest {

    @Test
    void aTaskLostOnceAndPlacedAgainPasses() {
        Task t = submitted("t", 1);
        Task scheduled = schedule(t, "n1", 0);
        Task running = Lifecycle.start(scheduled, NOW);
        Task requeued = Lifecycle.requeue(running, "node n1 lost", NOW);
        Task again = schedule(requeued, "n2", 1);
        Task runningAgain = Lifecycle.start(again, NOW);
        Task done = Lifecycle.finish(runningAgain, 0, null, NOW);
        History history = new History().node(node("n1", 2), 1).node(node("n2", 2), 2)
                .task(t).schedule(scheduled).task(running).release(requeued, "n1")
                .schedule(again).task(runningAgain).release(done, "n2");
        assertThat(new TaskChecker().check(history.versions())).isEmpty();
    }

    @Test
    void aTaskAssignedToASecondNodeWhileTheFirstAssignmentLivesIsFlagged() {
        Task t = submitted("t", 1);
        Task running = Lifecycle.start(schedule(t, "n1", 0), NOW);
        Task requeued = Lifecycle.requeue(running, "node n1 lost", NOW);
        History history = new History().task(t).schedule(schedule(t, "n1", 0)).task(running)
                .task(requeued) // the requeue forgot to delete /assignments/n1/t
                .schedule(schedule(requeued, "n2", 0));
        List<Anomaly> anomalies = new TaskChecker().check(history.versions());
        assertThat(anomalies).extracting(Anomaly::checker).contains(TaskChecker.PLACEMENT);
        assertThat(anomalies).anySatisfy(a -> assertThat(a.explanation()).contains("assigned to several nodes at once"));
        assertThat(anomalies).anySatisfy(a -> assertThat(a.explanation()).contains("PENDING (attempt 1)")
                .contains("still assigned"));
    }

    @Test
    void aTaskThatMovesToAnotherNodeWithoutARequeueIsFlagged() {
        Task t = submitted("t", 1);
        Task running = Lifecycle.start(schedule(t, "n1", 0), NOW);
        Task elsewhere = Lifecycle.start(schedule(t, "n2", 0), NOW); // RUNNING on n2 at attempt 0
        History history = new History().task(t).schedule(schedule(t, "n1", 0)).task(running).task(elsewhere);
        assertThat(new TaskChecker().check(history.versions())).anySatisfy(a -> {
            assertThat(a.checker()).isEqualTo(TaskChecker.LIFECYCLE);
            assertThat(a.explanation()).contains("changed placement without a transition")
                    .contains("RUNNING (attempt 0, on n1").contains("RUNNING (attempt 0, on n2");
        });
    }

    @Test
    void aGpuGivenToTwoTasksOrNotOnTheNodeIsFlagged() {
        Task a = submitted("a", 1);
        Task b = submitted("b", 1);
        Task c = submitted("c", 1);
        History history = new History().node(node("n1", 2), 1).task(a).task(b).task(c)
                .schedule(schedule(a, "n1", 1)).schedule(schedule(b, "n1", 1)).schedule(schedule(c, "n1", 7));
        List<Anomaly> anomalies = new TaskChecker().check(history.versions());
        assertThat(anomalies).extracting(Anomaly::checker).containsOnly(TaskChecker.GPUS);
        assertThat(anomalies).anySatisfy(x -> assertThat(x.explanation()).contains("GPU GPU-n1-1 of n1 assigned to a and b"));
        assertThat(anomalies).anySatisfy(x -> assertThat(x.explanation()).contains("GPU-n1-7, which n1 does not have"));
    }

    @Test
    void aDeletedTaskAChangeAfterTheEndAndAnAssignmentWithoutItsTaskAreFlagged() {
        Task t = submitted("t", 0);
        Task cancelled = Lifecycle.cancel(t, "user", NOW);
        Task u = submitted("u", 0);
        History history = new History().task(t).task(cancelled).task(Lifecycle.cancel(t, "again", NOW))
                .task(u).deleteKey(Keys.task("u"))
                .assignment(new Assignment("ghost", "n1", 0, List.of(), NOW));
        List<Anomaly> anomalies = new TaskChecker().check(history.versions());
        assertThat(anomalies).anySatisfy(a -> assertThat(a.explanation()).contains("task t").contains("changed after it ended CANCELLED"));
        assertThat(anomalies).anySatisfy(a -> assertThat(a.explanation()).contains("task u was deleted"));
        assertThat(anomalies).anySatisfy(a -> assertThat(a.explanation()).contains("task ghost").contains("absent but it is still assigned"));
    }
}
