package dev.gantry.agent.task;

import java.util.function.UnaryOperator;

import dev.gantry.agent.node.Fence;
import dev.gantry.job.IllegalTransition;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Txn;

/**
 * The agent's writes to {@code /tasks/<id>}: read, change through {@link dev.gantry.job.Lifecycle}, and write back
 * in a txn that compares the task's mod revision (nobody wrote it since the read) and the node's lease (this
 * agent still holds its node, {@link Fence}). The task must still be this node's, at the attempt the agent was
 * given: a task requeued and placed again has a higher attempt, and the agent of its old placement may no longer
 * touch it.
 */
public final class TaskStore {
    /** What became of a write. */
    public enum Outcome {
        WRITTEN,
        /** The task is no longer this run's (other node, other attempt, already final) or the node's lease is gone. */
        FENCED,
        /** There is no such task. */
        GONE
    }

    private static final int TRIES = 10;
    private final KvClient client;

    public TaskStore(KvClient client) {
        this.client = client;
    }

    /**
     * Applies {@code change} to the task if it is still {@code fence.node()}'s at {@code attempt}; a change that
     * returns the task unchanged writes nothing. When the task reaches a final status, or goes back to PENDING,
     * its assignment is deleted in the same txn: the assignment exists exactly while the task holds the node's GPUs.
     */
    public Outcome update(String taskId, int attempt, Fence fence, UnaryOperator<Task> change) {
        String key = Keys.task(taskId);
        String written = null;
        for (int i = 0; i < TRIES; i++) {
            Kv kv = client.get(key).orElse(null);
            if (kv == null) {
                return Outcome.GONE;
            }
            if (kv.value().equals(written)) {
                // The last txn applied, but its answer was lost and the client's retry of it failed its compare:
                // it is this update that changed the task (taken for a concurrent change, it made a started task
                // look FENCED, so its process was never started and it stayed RUNNING for good).
                return Outcome.WRITTEN;
            }
            Task task = Json.read(kv.value(), Task.class);
            if (task.attempt() != attempt || !fence.node().equals(task.node()) || task.status().isTerminal()) {
                return Outcome.FENCED;
            }
            Task next;
            try {
                next = change.apply(task);
            } catch (IllegalTransition | IllegalArgumentException e) {
                return Outcome.FENCED;
            }
            if (next == task) {
                return Outcome.WRITTEN;
            }
            written = Json.write(next);
            Txn txn = client.txn().ifModRevision(key, kv.modRevision()).ifLease(fence.nodeKey(), fence.leaseId())
                    .put(key, written).elseGet(fence.nodeKey());
            if (next.status().isTerminal() || next.status() == TaskStatus.PENDING) {
                txn.delete(Keys.assignment(fence.node(), taskId));
            }
            var result = txn.commit();
            if (result.succeeded()) {
                return Outcome.WRITTEN;
            }
            boolean leaseHeld = result.elseGets().stream().anyMatch(node -> node.lease() == fence.leaseId());
            if (!leaseHeld) {
                return Outcome.FENCED;
            }
            // the task changed between read and write (progress from the API side, a cancel): read again
        }
        return Outcome.FENCED;
    }
}
