package dev.gantry.api.live;

import java.time.Instant;

import dev.gantry.job.NodeState;
import dev.gantry.job.Progress;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;

/**
 * One change the console (or any client of {@code GET /api/v1/events}) is told about, compact: which thing changed
 * and how, not the whole value. {@code type} is the SSE event name; fields that do not apply are absent.
 *
 * <ul>
 * <li>{@code job}: {@code kind} submitted, scheduled, started, succeeded, failed, cancelled, requeued (back to
 * PENDING), progress (a new {@code progress}), updated (anything else, e.g. a pending reason), deleted</li>
 * <li>{@code node}: {@code kind} joined, lost (its key is gone: lease expired or agent stopped), updated
 * (telemetry), cordoned, draining, uncordoned</li>
 * <li>{@code cluster}: {@code kind} leader (the KV leader or term changed; {@code leader} absent: no leader)</li>
 * </ul>
 */
public record LiveEvent(
        String type,
        String kind,
        String id,
        String name,
        TaskStatus status,
        String node,
        Integer attempt,
        String reason,
        Progress progress,
        String leader,
        String leaderName,
        Long term,
        Instant at) {

    public static final String JOB = "job";
    public static final String NODE = "node";
    public static final String CLUSTER = "cluster";

    /** Events worth a line in a feed: not progress ticks, telemetry refreshes or pending-reason rewrites. */
    public boolean notable() {
        return !kind.equals("progress") && !kind.equals("updated");
    }

    /** What happened to a task between two of its stored values ({@code before} null: created, {@code after} null: deleted). */
    static LiveEvent job(Task before, Task after, Instant now) {
        if (after == null) {
            return job("deleted", before, now);
        }
        if (before == null) {
            return job(after.status() == TaskStatus.PENDING ? "submitted" : kindOf(after.status()), after, now);
        }
        if (before.status() != after.status() || before.attempt() != after.attempt()) {
            return job(after.status() == TaskStatus.PENDING ? "requeued" : kindOf(after.status()), after, now);
        }
        if (after.progress() != null && !after.progress().equals(before.progress())) {
            return job("progress", after, now);
        }
        return job("updated", after, now);
    }

    private static String kindOf(TaskStatus status) {
        return switch (status) {
            case PENDING -> "submitted";
            case SCHEDULED -> "scheduled";
            case RUNNING -> "started";
            case SUCCEEDED -> "succeeded";
            case FAILED -> "failed";
            case CANCELLED -> "cancelled";
        };
    }

    private static LiveEvent job(String kind, Task task, Instant now) {
        return new LiveEvent(JOB, kind, task.id(), task.spec() == null ? null : task.spec().name(), task.status(), task.node(),
                task.attempt(), task.reason(), kind.equals("progress") ? task.progress() : null, null, null, null, now);
    }

    /** An agent's key appeared, changed or vanished. */
    static LiveEvent node(String id, boolean existedBefore, boolean existsAfter, Instant now) {
        String kind = !existsAfter ? "lost" : existedBefore ? "updated" : "joined";
        return new LiveEvent(NODE, kind, id, null, null, null, null, null, null, null, null, null, now);
    }

    /** An operator's cordon, drain or uncordon ({@code after} null). */
    static LiveEvent operator(String id, NodeState after, Instant now) {
        String kind = after == null || after.state() == null ? "uncordoned" : after.state().label();
        return new LiveEvent(NODE, kind, id, null, null, null, null, after == null ? null : after.reason(), null, null, null, null, now);
    }

    static LiveEvent leader(String leader, String leaderName, long term, Instant now) {
        return new LiveEvent(CLUSTER, "leader", null, null, null, null, null, null, null, leader, leaderName, term, now);
    }
}
