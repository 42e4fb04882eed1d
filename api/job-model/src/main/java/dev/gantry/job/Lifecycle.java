package dev.gantry.job;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static dev.gantry.job.TaskStatus.CANCELLED;
import static dev.gantry.job.TaskStatus.FAILED;
import static dev.gantry.job.TaskStatus.PENDING;
import static dev.gantry.job.TaskStatus.RUNNING;
import static dev.gantry.job.TaskStatus.SCHEDULED;
import static dev.gantry.job.TaskStatus.SUCCEEDED;

/**
 * The one place that decides how a task's status may change. Each method returns the new task with its
 * timestamps set and a {@link Transition} appended, or throws {@link IllegalTransition}. Callers write the
 * result with a txn that compares the task's mod revision (docs/api.md, "Lifecycle").
 *
 * <pre>
 * PENDING   → SCHEDULED | CANCELLED | FAILED
 * SCHEDULED → RUNNING | PENDING (requeue) | CANCELLED | FAILED
 * RUNNING   → SUCCEEDED | FAILED | CANCELLED | PENDING (requeue)
 * SUCCEEDED, FAILED, CANCELLED: final
 * </pre>
 */
public final class Lifecycle {
    private static final Map<TaskStatus, Set<TaskStatus>> ALLOWED = Map.of(
            PENDING, Set.of(SCHEDULED, CANCELLED, FAILED),
            SCHEDULED, Set.of(RUNNING, PENDING, CANCELLED, FAILED),
            RUNNING, Set.of(SUCCEEDED, FAILED, CANCELLED, PENDING),
            SUCCEEDED, Set.of(),
            FAILED, Set.of(),
            CANCELLED, Set.of());

    private Lifecycle() {
    }

    public static boolean allowed(TaskStatus from, TaskStatus to) {
        return ALLOWED.get(from).contains(to);
    }

    /** PENDING → SCHEDULED: the scheduler placed it on {@code node}, holding {@code gpus}. */
    public static Task schedule(Task task, String node, List<String> gpus, Instant now) {
        Objects.requireNonNull(node, "node");
        Task.Builder b = move(task, SCHEDULED, "scheduled on " + node, node, now);
        b.node = node;
        b.gpus = List.copyOf(gpus);
        b.reason = null;
        b.scheduledAt = now;
        return b.build();
    }

    /** SCHEDULED → RUNNING: the agent started the process. */
    public static Task start(Task task, Instant now) {
        Task.Builder b = move(task, RUNNING, "started", task.node(), now);
        b.startedAt = now;
        return b.build();
    }

    /** RUNNING → SUCCEEDED (exit code 0) or FAILED (any other). */
    public static Task finish(Task task, int exitCode, String reason, Instant now) {
        TaskStatus to = exitCode == 0 ? SUCCEEDED : FAILED;
        if (task.status() != RUNNING) {
            throw new IllegalTransition(task.id(), task.status(), to);
        }
        String why = reason != null ? reason : exitCode == 0 ? "exited 0" : "exited with code " + exitCode;
        Task.Builder b = move(task, to, why, task.node(), now);
        b.exitCode = exitCode;
        b.reason = exitCode == 0 ? null : why;
        b.finishedAt = now;
        return b.build();
    }

    /** Any non-final status → FAILED without an exit code (e.g. the process could not be started). */
    public static Task fail(Task task, String reason, Instant now) {
        Task.Builder b = move(task, FAILED, reason, task.node(), now);
        b.reason = reason;
        b.finishedAt = now;
        return b.build();
    }

    /** Any non-final status → CANCELLED. The caller deletes the assignment in the same txn, which stops the process. */
    public static Task cancel(Task task, String reason, Instant now) {
        String why = reason == null || reason.isBlank() ? "cancelled" : reason;
        Task.Builder b = move(task, CANCELLED, why, task.node(), now);
        b.reason = why;
        b.finishedAt = now;
        return b.build();
    }

    /**
     * SCHEDULED or RUNNING → PENDING with attempt + 1, because its node was lost; or FAILED once the task has
     * been requeued {@code maxRetries} times already.
     */
    public static Task requeue(Task task, String reason, Instant now) {
        if (task.status() != SCHEDULED && task.status() != RUNNING) {
            throw new IllegalTransition(task.id(), task.status(), PENDING);
        }
        int maxRetries = task.spec().maxRetriesOrDefault();
        if (task.attempt() >= maxRetries) {
            String why = reason + "; lost " + (task.attempt() + 1) + " times, maxRetries " + maxRetries + " reached";
            return fail(task, why, now);
        }
        Task.Builder b = move(task, PENDING, reason, task.node(), task.attempt() + 1, now);
        b.node = null;
        b.gpus = List.of();
        b.reason = reason + "; requeued (attempt " + b.attempt + " of " + (maxRetries + 1) + ")";
        b.progress = null;
        b.scheduledAt = null;
        b.startedAt = null;
        return b.build();
    }

    /**
     * Why a PENDING task is still waiting (no node fits, ...). Not a transition: no timeline entry, and the same
     * task back when the reason is unchanged, so the scheduler can skip the write.
     */
    public static Task pendingReason(Task task, String reason, Instant now) {
        requireStatus(task, PENDING);
        if (Objects.equals(task.reason(), reason)) {
            return task;
        }
        Task.Builder b = update(task, now);
        b.reason = reason;
        return b.build();
    }

    /** A RUNNING task's latest training progress, from its agent. */
    public static Task progress(Task task, Progress progress, Instant now) {
        requireStatus(task, RUNNING);
        Task.Builder b = update(task, now);
        b.progress = progress;
        return b.build();
    }

    /** The checks of the updates that are not transitions: the task must be in {@code status}. */
    private static void requireStatus(Task task, TaskStatus status) {
        if (task.status() != status) {
            throw new IllegalArgumentException("task " + task.id() + " is " + task.status() + ", not " + status);
        }
    }

    private static Task.Builder update(Task task, Instant now) {
        Task.Builder b = task.toBuilder();
        b.updatedAt = now;
        return b;
    }

    private static Task.Builder move(Task task, TaskStatus to, String reason, String node, Instant now) {
        return move(task, to, reason, node, task.attempt(), now);
    }

    /** The transition to {@code to}, recorded in the timeline under {@code attempt}, which the task takes on. */
    private static Task.Builder move(Task task, TaskStatus to, String reason, String node, int attempt, Instant now) {
        if (!allowed(task.status(), to)) {
            throw new IllegalTransition(task.id(), task.status(), to);
        }
        Task.Builder b = update(task, now);
        b.status = to;
        b.attempt = attempt;
        b.timeline.add(new Transition(now, task.status(), to, reason, node, attempt));
        return b;
    }
}
