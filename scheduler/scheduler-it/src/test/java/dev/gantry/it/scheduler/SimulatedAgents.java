package dev.gantry.it.scheduler;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Watch;
import dev.gantry.kv.client.WatchEvent;
import dev.gantry.kv.client.WatchListener;

/**
 * The agents of the simulated nodes, as far as the scheduler can tell: each new assignment's task is moved
 * SCHEDULED → RUNNING → SUCCEEDED and its assignment deleted, with the txns an agent makes (the task's
 * mod_revision and the node's lease compared). Finishing at once frees the GPUs task by task, so a queue longer
 * than the cluster drains gradually.
 */
final class SimulatedAgents implements AutoCloseable {
    private final KvClient client;
    private final Map<String, SimulatedNode> nodes = new ConcurrentHashMap<>();
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger finished = new AtomicInteger();
    private final Watch watch;

    SimulatedAgents(KvClient client, long fromRevision) {
        this.client = client;
        this.watch = client.watch(Keys.ASSIGNMENTS, fromRevision, new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                for (WatchEvent event : events) {
                    if (event.type() == WatchEvent.Type.PUT) {
                        Kv kv = event.kv();
                        work.execute(() -> run(kv));
                    }
                }
            }

            @Override
            public void onCompacted(long compactRevision) {
                throw new IllegalStateException("compacted");
            }
        });
    }

    void add(SimulatedNode node) {
        nodes.put(node.id, node);
    }

    int finished() {
        return finished.get();
    }

    private void run(Kv assignmentKv) {
        Assignment assignment = Json.read(assignmentKv.value(), Assignment.class);
        SimulatedNode node = nodes.get(assignment.node());
        if (node == null) {
            return;
        }
        String key = Keys.task(assignment.taskId());
        for (int tries = 0; tries < 10; tries++) {
            Kv kv = client.get(key).orElse(null);
            if (kv == null) {
                return;
            }
            Task task = Json.read(kv.value(), Task.class);
            if (task.attempt() != assignment.attempt() || !assignment.node().equals(task.node())) {
                return;
            }
            Task next;
            if (task.status() == TaskStatus.SCHEDULED) {
                next = Lifecycle.start(task, Instant.now());
            } else if (task.status() == TaskStatus.RUNNING) {
                next = Lifecycle.finish(task, 0, null, Instant.now());
            } else {
                return;
            }
            var txn = client.txn().ifModRevision(key, kv.modRevision()).ifLease(Keys.node(node.id), node.leaseId).put(key, Json.write(next));
            if (next.status() == TaskStatus.SUCCEEDED) {
                txn.delete(Keys.assignment(node.id, task.id()));
            }
            if (txn.commit().succeeded() && next.status() == TaskStatus.SUCCEEDED) {
                finished.incrementAndGet();
                return;
            }
        }
    }

    @Override
    public void close() {
        watch.close();
        work.shutdownNow();
    }
}
