package dev.gantry.reliability.jobs.check;

import static dev.gantry.reliability.jobs.check.History.NOW;
import static dev.gantry.reliability.jobs.check.History.schedule;
import static dev.gantry.reliability.jobs.check.History.submitted;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.gantry.job.Lifecycle;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.reliability.check.Anomaly;
import dev.gantry.reliability.jobs.history.Cancel;
import dev.gantry.reliability.jobs.history.JobKind;
import dev.gantry.reliability.jobs.history.Submission;

class OutcomeCheckerTest {
    private final History history = new History();
    private final Map<String, Task> finals = new LinkedHashMap<>();

    /** Records the task's versions and makes the last one its final state. */
    private void versions(Task... versions) {
        for (Task version : versions) {
            history.task(version);
        }
        finals.put(versions[0].id(), versions[versions.length - 1]);
    }

    private static Submission submission(String id, JobKind kind) {
        return new Submission(id, kind, 1, 5, id, 0);
    }

    private static Task ran(Task submitted, int exitCode) {
        return Lifecycle.finish(Lifecycle.start(schedule(submitted, "n1", 0), NOW), exitCode, null, NOW);
    }

    private List<Anomaly> check(List<Submission> submissions, List<Cancel> cancels) {
        return new OutcomeChecker().check(submissions, cancels, finals, history.versions());
    }

    @Test
    void jobsThatEndedAsTheyMustPass() {
        Task ok = submitted("ok", 1);
        Task fails = submitted("fails", 1);
        Task lost = submitted("lost", 1);
        Task cancelled = submitted("cancelled", 1);
        Task big = submitted("big", 3);
        versions(ok, ran(ok, 0));
        versions(fails, ran(fails, 3));
        Task running = Lifecycle.start(schedule(lost, "n1", 0), NOW);
        versions(lost, running, Lifecycle.fail(running, "node n1 lost; lost 6 times, maxRetries 5 reached", NOW));
        versions(cancelled, Lifecycle.cancel(cancelled, "user", NOW));
        versions(big, Lifecycle.pendingReason(big, "needs 3 GPUs on one node; no ready node has that many", NOW));
        assertThat(check(List.of(submission("ok", JobKind.SUCCEEDS), submission("fails", JobKind.FAILS),
                submission("lost", JobKind.PROGRESS), submission("cancelled", JobKind.LONG),
                submission("big", JobKind.UNPLACEABLE), new Submission("unknown", JobKind.SUCCEEDS, 1, 5, null, 0)),
                List.of(new Cancel("cancelled", Cancel.Outcome.CANCELLED, 0)))).isEmpty();
    }

    @Test
    void aJobThatDisappearedDidNotEndOrEndedWronglyIsFlagged() {
        Task gone = submitted("gone", 1);
        Task stuck = submitted("stuck", 1);
        Task wrong = submitted("wrong", 1);
        Task ignored = submitted("ignored", 1);
        Task placed = submitted("placed", 3);
        Task unacknowledged = submitted("unacknowledged", 1);
        history.task(gone);
        versions(unacknowledged, schedule(unacknowledged, "n1", 0)); // the API's answer was lost, the job is real
        versions(stuck, Lifecycle.start(schedule(stuck, "n1", 0), NOW));
        versions(wrong, ran(wrong, 3));
        versions(ignored, ran(ignored, 0));
        versions(placed, schedule(placed, "n1", 0));
        List<Anomaly> anomalies = check(List.of(submission("gone", JobKind.SUCCEEDS), submission("stuck", JobKind.SUCCEEDS),
                submission("wrong", JobKind.SUCCEEDS), submission("ignored", JobKind.LONG),
                submission("placed", JobKind.UNPLACEABLE), new Submission("unacknowledged", JobKind.FAILS, 1, 5, null, 0)),
                List.of(new Cancel("ignored", Cancel.Outcome.CANCELLED, 0)));
        assertThat(anomalies).extracting(Anomaly::explanation).containsExactlyInAnyOrder(
                "gone (SUCCEEDS) disappeared",
                "stuck (SUCCEEDS, 1 GPUs, maxRetries 5) ended RUNNING: it did not end after the faults were healed",
                "wrong (SUCCEEDS, 1 GPUs, maxRetries 5) ended FAILED with exit code 3 (exited with code 3): its command exits 0",
                "ignored (LONG, 1 GPUs, maxRetries 5) ended SUCCEEDED with exit code 0: its cancel was acknowledged",
                "placed (UNPLACEABLE, 1 GPUs, maxRetries 5) ended SCHEDULED: no node can run it, yet it was placed",
                "unacknowledged (FAILS, 1 GPUs, maxRetries 5) ended SCHEDULED: it did not end after the faults were healed");
    }

    @Test
    void oneSubmitThatMadeTwoJobsIsFlagged() {
        Task first = submitted("dup-x1", 1);
        TaskSpec spec = first.spec();
        Task second = Task.submitted("dup-x2", new TaskSpec("dup-x1", null, null, null, null, spec.resources(), null, 5,
                spec.command(), null, null).withDefaults(), null, NOW);
        versions(first, ran(first, 0));
        versions(second);
        assertThat(check(List.of(new Submission("dup-x1", JobKind.SUCCEEDS, 1, 5, "dup-x1", 0)), List.of()))
                .singleElement().satisfies(a -> assertThat(a.explanation()).startsWith("one submit of dup-x1 made 2 jobs"));
    }
}
