package dev.gantry.scheduler.placement;

import java.time.Instant;
import java.util.Comparator;

import dev.gantry.job.Task;

/** The order pending tasks are placed in: higher priority first, then older first (then id, for a total order). */
public final class PendingQueue {
    public static final Comparator<Task> ORDER = Comparator
            .comparingInt((Task t) -> -t.spec().priorityOrDefault())
            .thenComparing(t -> t.createdAt() == null ? Instant.EPOCH : t.createdAt())
            .thenComparing(Task::id);

    private PendingQueue() {
    }
}
