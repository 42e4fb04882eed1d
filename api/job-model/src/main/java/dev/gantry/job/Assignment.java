package dev.gantry.job;

import java.time.Instant;
import java.util.List;

/**
 * The value of {@code /assignments/<node>/<taskId>}: written in the scheduler's claim txn, watched by the node's
 * agent. Its deletion (cancel, requeue) tells the agent to stop the task; {@code attempt} fences an agent's
 * writes against a task that was re-placed since.
 */
public record Assignment(String taskId, String node, int attempt, List<String> gpus, Instant assignedAt) {
    public Assignment {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }

    public static Assignment of(Task scheduled) {
        return new Assignment(scheduled.id(), scheduled.node(), scheduled.attempt(), scheduled.gpus(), scheduled.scheduledAt());
    }
}
