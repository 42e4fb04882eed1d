package dev.gantry.job;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The value of {@code /tasks/<id>}: a submitted spec and everything that happened to it. Immutable; change it
 * only through {@link Lifecycle}, which enforces the legal transitions and keeps the timeline.
 *
 * @param attempt 0 for the first placement, +1 each time the task is requeued (its node was lost)
 * @param gpus    the GPUs on {@code node} the task holds (indexes or UUIDs, as the node reports them)
 * @param reason  human text: why it is pending, why it failed or was cancelled
 */
public record Task(
        String id,
        TaskSpec spec,
        TaskStatus status,
        int attempt,
        String node,
        List<String> gpus,
        String reason,
        Progress progress,
        Integer exitCode,
        String submittedBy,
        Instant createdAt,
        Instant updatedAt,
        Instant scheduledAt,
        Instant startedAt,
        Instant finishedAt,
        List<Transition> timeline) {

    public Task {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        timeline = timeline == null ? List.of() : List.copyOf(timeline);
    }

    /** A new PENDING task for a spec that passed validation. */
    public static Task submitted(String id, TaskSpec spec, String submittedBy, Instant now) {
        return new Task(id, spec, TaskStatus.PENDING, 0, null, List.of(), "waiting for the scheduler", null, null, submittedBy,
                now, now, null, null, null, List.of(new Transition(now, null, TaskStatus.PENDING, "submitted", null, 0)));
    }

    Builder toBuilder() {
        return new Builder(this);
    }

    /** Field-by-field copies for {@link Lifecycle}; package-private so that every change goes through it. */
    static final class Builder {
        private final Task t;
        TaskStatus status;
        int attempt;
        String node;
        List<String> gpus;
        String reason;
        Progress progress;
        Integer exitCode;
        Instant updatedAt;
        Instant scheduledAt;
        Instant startedAt;
        Instant finishedAt;
        final List<Transition> timeline;

        private Builder(Task t) {
            this.t = t;
            status = t.status;
            attempt = t.attempt;
            node = t.node;
            gpus = t.gpus;
            reason = t.reason;
            progress = t.progress;
            exitCode = t.exitCode;
            updatedAt = t.updatedAt;
            scheduledAt = t.scheduledAt;
            startedAt = t.startedAt;
            finishedAt = t.finishedAt;
            timeline = new ArrayList<>(t.timeline);
        }

        Task build() {
            return new Task(t.id, t.spec, status, attempt, node, gpus, reason, progress, exitCode, t.submittedBy,
                    t.createdAt, updatedAt, scheduledAt, startedAt, finishedAt, timeline);
        }
    }
}
