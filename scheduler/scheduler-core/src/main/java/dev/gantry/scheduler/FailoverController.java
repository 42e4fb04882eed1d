package dev.gantry.scheduler;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;

import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.Informer;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.KvException;

/**
 * Gives the tasks of lost nodes back to the queue. A node is lost when its {@code /nodes/<id>} key is gone: the
 * agent's lease expired. Each of its SCHEDULED or RUNNING tasks goes back to PENDING with attempt + 1, or to
 * FAILED once it has been lost more than maxRetries times ({@link Lifecycle#requeue}), and its assignment is
 * deleted — one txn per task, comparing the task's mod_revision and the leader's fence. Draining and cordoned
 * nodes are not lost: their tasks keep running.
 */
final class FailoverController {
    private static final Logger LOG = Logger.getLogger(FailoverController.class);

    private final KvClient client;
    private final OwnWrites own;
    private final SchedulerMetrics metrics;

    FailoverController(KvClient client, OwnWrites own, SchedulerMetrics metrics) {
        this.client = client;
        this.own = own;
        this.metrics = metrics;
    }

    /** Requeues the tasks whose node the view does not have, once a direct read confirms the node is gone. */
    void requeueLost(List<Informer.Entry<Task>> orphaned, Fence fence) {
        Map<String, Boolean> gone = new HashMap<>();
        for (Informer.Entry<Task> entry : orphaned) {
            Task task = entry.value();
            String node = task.node();
            // The node informer may lag a node that registered a moment ago (another scheduler placed on it).
            if (node != null && !gone.computeIfAbsent(node, n -> client.get(Keys.node(n)).isEmpty())) {
                continue;
            }
            Task requeued = Lifecycle.requeue(task, node == null ? "no node recorded for a placed task" : "node " + node + " lost",
                    Instant.now());
            var txn = fence.apply(client.txn()).ifModRevision(entry.key(), entry.modRevision()).put(entry.key(), Json.write(requeued));
            if (node != null) {
                txn.delete(Keys.assignment(node, task.id()));
            }
            var result = txn.commit();
            if (!result.succeeded()) {
                continue; // changed meanwhile (finished, cancelled, requeued by another): the next pass sees it
            }
            own.wrote(entry.key(), requeued, result.revision());
            if (requeued.status() == TaskStatus.FAILED) {
                metrics.failedLost.incrementAndGet();
                LOG.infof("task %s failed: %s", task.id(), requeued.reason());
            } else {
                metrics.requeued.incrementAndGet();
                LOG.infof("task %s requeued: %s", task.id(), requeued.reason());
            }
        }
    }

    /**
     * Once on taking over: deletes assignments with no live task behind them (the task is gone, finished, or
     * placed elsewhere or on a later attempt since). Tasks on vanished nodes are handled by every pass.
     */
    void reconcileAssignments(Fence fence) {
        List<Kv> assignments = client.list(Keys.ASSIGNMENTS).kvs();
        if (assignments.isEmpty()) {
            return;
        }
        // Read after the assignments: a task is at least as new as its assignment (both are written in one txn).
        Map<String, Task> tasks = new HashMap<>();
        for (Kv kv : client.list(Keys.TASKS).kvs()) {
            try {
                tasks.put(kv.key(), Json.read(kv.value(), Task.class));
            } catch (RuntimeException e) {
                LOG.warnf("%s does not decode, skipped: %s", kv.key(), e.getMessage());
            }
        }
        int deleted = 0;
        for (Kv kv : assignments) {
            String rest = kv.key().substring(Keys.ASSIGNMENTS.length());
            int slash = rest.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String node = rest.substring(0, slash);
            String taskId = rest.substring(slash + 1);
            Integer attempt = null;
            try {
                attempt = Json.read(kv.value(), Assignment.class).attempt();
            } catch (RuntimeException e) {
                LOG.warnf("%s does not decode: %s", kv.key(), e.getMessage());
            }
            Task task = tasks.get(Keys.task(taskId));
            // Null-safe: a task stored without a status must not stop every pass (the reconcile would be retried forever).
            boolean live = task != null && (task.status() == TaskStatus.SCHEDULED || task.status() == TaskStatus.RUNNING)
                    && node.equals(task.node()) && (attempt == null || attempt == task.attempt());
            if (live) {
                continue;
            }
            try {
                if (fence.apply(client.txn()).ifModRevision(kv.key(), kv.modRevision()).delete(kv.key()).commit().succeeded()) {
                    deleted++;
                }
            } catch (KvException e) {
                LOG.warnf("could not delete stale assignment %s: %s", kv.key(), e.getMessage());
            }
        }
        if (deleted > 0) {
            LOG.infof("reconciled: deleted %d assignments without a live task", deleted);
        }
    }
}
