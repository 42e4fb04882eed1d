package dev.gantry.reliability.jobs.check;

import static dev.gantry.reliability.jobs.check.History.NOW;
import static dev.gantry.reliability.jobs.check.History.nanos;
import static dev.gantry.reliability.jobs.check.History.node;
import static dev.gantry.reliability.jobs.check.History.schedule;
import static dev.gantry.reliability.jobs.check.History.submitted;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.gantry.job.Lifecycle;
import dev.gantry.job.Task;
import dev.gantry.reliability.check.Anomaly;
import dev.gantry.reliability.jobs.history.Outage;
import dev.gantry.reliability.jobs.history.ProcessRun;

/**
 * Task t runs on n1 (attempt 0) from 0 s; its node is lost and its assignment deleted at 2 s; it is placed on n2
 * (attempt 1) at 2.5 s and runs there from 3 s. Sweeps every 0.2 s up to 20 s; the fencing window is 3 s.
 */
class ProcessCheckerTest {
    private static final Duration WINDOW = Duration.ofSeconds(3);
    private static final Duration SLACK = Duration.ofSeconds(1);
    private final List<Long> sweeps = new ArrayList<>();

    ProcessCheckerTest() {
        for (int i = 0; i <= 100; i++) {
            sweeps.add(nanos(i * 0.2));
        }
    }

    private static History lostAndPlacedAgain() {
        Task t = submitted("t", 1);
        Task first = Lifecycle.start(schedule(t, "n1", 0), NOW);
        Task requeued = Lifecycle.requeue(first, "node n1 lost", NOW);
        return new History().node(node("n1", 2), 1).node(node("n2", 2), 2).task(t).schedule(schedule(t, "n1", 0))
                .task(first).at(2).release(requeued, "n1").at(2.5).schedule(schedule(requeued, "n2", 0));
    }

    /** A run alive from {@code from} to {@code to} seconds (sweep times). */
    private static ProcessRun run(String node, String task, int attempt, double from, double to, Integer... gpus) {
        return new ProcessRun(node, task, attempt, 1000 + attempt, Set.of(gpus), (int) Math.round(from / 0.2),
                (int) Math.round(to / 0.2));
    }

    private List<Anomaly> check(List<ProcessRun> runs, History history, List<Outage> outages) {
        return new ProcessChecker(WINDOW, SLACK, 0).check(runs, sweeps, history.versions(), outages);
    }

    @Test
    void aProcessStoppedWithinTheWindowAfterItsNodeWasLostPasses() {
        ProcessChecker checker = new ProcessChecker(WINDOW, SLACK, 0);
        List<Anomaly> anomalies = checker.check(List.of(run("n1", "t", 0, 0.2, 3.4, 0), run("n2", "t", 1, 3.0, 6.0, 0)),
                sweeps, lostAndPlacedAgain().versions(), List.of());
        assertThat(anomalies).isEmpty();
        assertThat(checker.maxOverlapMillis()).isEqualTo(400);
        assertThat(checker.maxOutlivedMillis()).isEqualTo(1400);
    }

    @Test
    void aTaskRunningOnTwoNodesPastTheWindowIsFlagged() {
        List<Anomaly> anomalies = check(List.of(run("n1", "t", 0, 0.2, 8.0, 0), run("n2", "t", 1, 3.0, 6.0, 0)),
                lostAndPlacedAgain(), List.of());
        assertThat(anomalies).extracting(Anomaly::checker).contains(ProcessChecker.TWO_NODES, ProcessChecker.OUTLIVED);
        assertThat(anomalies).anySatisfy(a -> assertThat(a.explanation())
                .contains("t attempt 0 on n1").contains("t attempt 1 on n2").contains("ran on two nodes at once at 5.200s"));
        assertThat(anomalies).anySatisfy(a -> assertThat(a.explanation())
                .contains("alive at 5.200s, 3200 ms after its assignment ended at 2.000s, with its agent up"));
    }

    @Test
    void theOrphansOfAKilledAgentMayRunOnUntilItsSuccessorRegistersButNotLonger() {
        // n1's agent is killed at 1 s, started again at 4 s, and registers (a new lease) at 9 s.
        History history = lostAndPlacedAgain().at(9).node(node("n1", 2), 3);
        List<Outage> killed = List.of(new Outage("n1", Outage.Kind.KILLED, nanos(1), nanos(4)));
        assertThat(check(List.of(run("n1", "t", 0, 0.2, 8.8, 0), run("n2", "t", 1, 3.0, 6.0, 0)), history, killed))
                .isEmpty();
        List<Anomaly> anomalies = check(List.of(run("n1", "t", 0, 0.2, 11.0, 0), run("n2", "t", 1, 3.0, 6.0, 0)),
                history, killed);
        assertThat(anomalies).extracting(Anomaly::checker).containsOnly(ProcessChecker.ORPHAN, ProcessChecker.OUTLIVED);
        assertThat(anomalies).anySatisfy(a -> assertThat(a.explanation())
                .contains("outlived its killed agent: alive at 11.000s, after the agent started again registered at 9.000s"));
    }

    @Test
    void anAgentCutOffIsNoExcuse() {
        List<Outage> cutOff = List.of(new Outage("n1", Outage.Kind.CUT_OFF, nanos(1), nanos(8)));
        assertThat(check(List.of(run("n1", "t", 0, 0.2, 8.0, 0), run("n2", "t", 1, 3.0, 6.0, 0)), lostAndPlacedAgain(), cutOff))
                .extracting(Anomaly::checker).contains(ProcessChecker.TWO_NODES);
    }

    @Test
    void twoTasksOnOneGpuAProcessNeverAssignedAndOneLeftRunningAreFlagged() {
        Task u = submitted("u", 1);
        History history = lostAndPlacedAgain().at(3).schedule(schedule(u, "n2", 0));
        List<Anomaly> anomalies = check(List.of(run("n2", "t", 1, 3.0, 6.0, 0), run("n2", "u", 0, 4.0, 5.0, 0),
                run("n3", "x", 0, 1.0, 20.0)), history, List.of());
        assertThat(anomalies).anySatisfy(a -> {
            assertThat(a.checker()).isEqualTo(ProcessChecker.GPUS);
            assertThat(a.explanation()).contains("used one GPU at once at 4.000s");
        });
        assertThat(anomalies).anySatisfy(a -> assertThat(a.explanation()).contains("x attempt 0 on n3")
                .contains("it was never assigned there"));
        assertThat(anomalies).anySatisfy(a -> {
            assertThat(a.checker()).isEqualTo(ProcessChecker.LEFT_RUNNING);
            assertThat(a.explanation()).contains("x attempt 0 on n3").contains("still runs at 20.000s");
        });
    }
}
