package dev.gantry.reliability.jobs.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.reliability.check.Anomaly;
import dev.gantry.reliability.jobs.history.Cancel;
import dev.gantry.reliability.jobs.history.KeyVersion;
import dev.gantry.reliability.jobs.history.Submission;

/**
 * Judges where every job ended, once the faults are healed and the queue has had time to drain:
 * <ul>
 * <li>nothing disappears: every job the API acknowledged still exists;</li>
 * <li>every job ended — those acknowledged, and those of submits with an unknown outcome that made one after all
 * — or is legitimately pending: a job no node can run stays PENDING, with a reason, and was
 * never placed; every other one is final;</li>
 * <li>it ended the way it must: CANCELLED if a cancel was acknowledged (and only if one was sent), SUCCEEDED only
 * if its command exits 0, FAILED with its command's exit code — or FAILED because its node was lost more often
 * than its {@code maxRetries} allow;</li>
 * <li>one submit, one job: no two tasks carry the name of one submission (names are unique per run);</li>
 * <li>the final state read at the end is the last version in the recorded history.</li>
 * </ul>
 */
public final class OutcomeChecker {
    public static final String NAME = "job outcomes";

    public List<Anomaly> check(List<Submission> submissions, List<Cancel> cancels, Map<String, Task> finalTasks,
            List<KeyVersion> history) {
        List<Anomaly> anomalies = new ArrayList<>();
        Map<String, Set<String>> idsByName = new HashMap<>();
        Map<String, Task> lastVersions = new LinkedHashMap<>();
        Set<String> everScheduled = new HashSet<>();
        for (KeyVersion event : history) {
            if (!event.key().startsWith(Keys.TASKS) || event.deleted()) {
                continue;
            }
            Task task = Json.read(event.value(), Task.class);
            idsByName.computeIfAbsent(task.spec().name(), n -> new LinkedHashSet<>()).add(task.id());
            lastVersions.put(task.id(), task);
            if (task.status() == TaskStatus.SCHEDULED) {
                everScheduled.add(task.id());
            }
        }
        Map<String, List<Cancel>> cancelsOf = new HashMap<>();
        cancels.forEach(c -> cancelsOf.computeIfAbsent(c.id(), id -> new ArrayList<>()).add(c));

        for (Submission submission : submissions) {
            Set<String> ids = idsByName.getOrDefault(submission.name(), Set.of());
            if (ids.size() > 1) {
                anomalies.add(new Anomaly(NAME, "one submit of " + submission.name() + " made " + ids.size() + " jobs: "
                        + ids + " (the API answered " + (submission.acknowledged() ? submission.id() : "nothing") + ")"));
            }
            // A submit whose outcome is unknown may have made its job after all: then it is judged like the others.
            String id = submission.acknowledged() ? submission.id() : ids.size() == 1 ? ids.iterator().next() : null;
            if (id == null) {
                continue;
            }
            if (!ids.contains(id)) {
                anomalies.add(new Anomaly(NAME, "the API acknowledged " + id + " but it never appeared in the history"));
            }
            Task task = finalTasks.get(id);
            if (task == null) {
                anomalies.add(new Anomaly(NAME, id + " (" + submission.kind() + ") disappeared"));
                continue;
            }
            if (!Objects.equals(task, lastVersions.get(task.id()))) {
                anomalies.add(new Anomaly(NAME, id + ": the final read differs from the last recorded "
                        + "version: " + TaskChecker.describe(task) + " vs " + TaskChecker.describe(lastVersions.get(task.id()))));
            }
            String problem = problem(submission, task, cancelsOf.getOrDefault(task.id(), List.of()),
                    everScheduled.contains(task.id()));
            if (problem != null) {
                anomalies.add(new Anomaly(NAME, id + " (" + submission.kind() + ", " + submission.gpus()
                        + " GPUs, maxRetries " + submission.maxRetries() + ") ended " + task.status()
                        + (task.exitCode() == null ? "" : " with exit code " + task.exitCode())
                        + (task.reason() == null ? "" : " (" + task.reason() + ")") + ": " + problem));
            }
        }
        return anomalies;
    }

    /** What is wrong with how the job ended; null when nothing is. */
    private static String problem(Submission submission, Task task, List<Cancel> cancels, boolean everScheduled) {
        boolean cancelAcknowledged = cancels.stream().anyMatch(c -> c.outcome() == Cancel.Outcome.CANCELLED);
        boolean cancelSent = cancels.stream().anyMatch(c -> c.outcome() != Cancel.Outcome.REFUSED);
        if (!submission.kind().placeable()) {
            if (everScheduled) {
                return "no node can run it, yet it was placed";
            }
            if (task.status() == TaskStatus.PENDING) {
                return task.reason() == null || task.reason().isBlank() ? "pending without a reason" : null;
            }
            return task.status() == TaskStatus.CANCELLED && cancelSent ? null : "it should still be pending";
        }
        if (cancelAcknowledged) {
            return task.status() == TaskStatus.CANCELLED ? null : "its cancel was acknowledged";
        }
        return switch (task.status()) {
            case PENDING, SCHEDULED, RUNNING -> "it did not end after the faults were healed";
            case CANCELLED -> cancelSent ? null : "nobody cancelled it";
            case SUCCEEDED -> submission.kind().exitCode() == 0 ? null : "its command exits " + submission.kind().exitCode();
            case FAILED -> lostTooOften(task) || Objects.equals(task.exitCode(), submission.kind().exitCode())
                    && submission.kind().exitCode() != 0 ? null : "its command exits " + submission.kind().exitCode();
        };
    }

    /** FAILED because its node was lost (or its agent restarted) more often than maxRetries allow. */
    private static boolean lostTooOften(Task task) {
        return task.reason() != null && task.reason().contains("maxRetries") && task.reason().contains("reached");
    }
}
