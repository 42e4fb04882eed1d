package dev.gantry.it.scheduler;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.NodeState;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.KvClient;

/**
 * The scheduler benchmark (not a test; skipped unless {@code -Dbench=true}): a 3-member cluster, 1,000 simulated
 * nodes of 16 GPUs, 10,000 one-GPU jobs written straight to {@code /tasks/} (the REST API would be the bottleneck).
 * <ol>
 *   <li><b>backlog</b>: the jobs are submitted while every node is cordoned, then all nodes are uncordoned in one
 *   delete: placements per second of a full queue;</li>
 *   <li><b>stream</b>: the tasks are deleted, and 10,000 jobs are submitted as fast as 32 writers can into the ready
 *   cluster: time from submit to SCHEDULED (the task's createdAt to its scheduledAt), p50 and p99.</li>
 * </ol>
 * Run: see docs/benchmarks.md, "Scheduler".
 */
class SchedulerBench {
    private static final int NODES = Integer.getInteger("bench.nodes", 1000);
    private static final int GPUS = 16;
    private static final int JOBS = Integer.getInteger("bench.jobs", 10_000);

    @Test
    void bench() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "the scheduler benchmark runs with -Dbench=true");
        try (Cluster cluster = Cluster.start(Implementation.GANTRY, 3, List.of("--scheduler=on"));
                KvClient client = KvClient.connect(cluster.endpoints());
                ExecutorService writers = Executors.newFixedThreadPool(32)) {
            List<SimulatedNode> nodes = new ArrayList<>();
            NodeState cordoned = new NodeState(NodeState.State.CORDONED, "bench", Instant.now());
            for (int i = 0; i < NODES; i++) {
                client.put(Keys.nodeState("bench-" + i), Json.write(cordoned));
            }
            List<Future<SimulatedNode>> registering = new ArrayList<>();
            for (int i = 0; i < NODES; i++) {
                String id = "bench-" + i;
                registering.add(writers.submit(() -> SimulatedNode.register(client, id, GPUS, "NVIDIA H100 80GB HBM3", 80, 30)));
            }
            for (Future<SimulatedNode> f : registering) {
                nodes.add(f.get());
            }
            try {
                long submitStart = System.nanoTime();
                submit(client, writers, "backlog");
                double submitSeconds = (System.nanoTime() - submitStart) / 1e9;
                awaitPending(client, JOBS);
                long start = System.nanoTime();
                client.deletePrefix(Keys.NODE_STATES);
                awaitScheduled(client, JOBS);
                double backlogSeconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("BENCH backlog: %d jobs on %d nodes placed in %.2f s: %.0f placements/s (submitted at %.0f jobs/s)%n",
                        JOBS, NODES, backlogSeconds, JOBS / backlogSeconds, JOBS / submitSeconds);

                client.deletePrefix(Keys.ASSIGNMENTS);
                client.deletePrefix(Keys.TASKS);
                start = System.nanoTime();
                submit(client, writers, "stream");
                List<Task> done = awaitScheduled(client, JOBS);
                double streamSeconds = (System.nanoTime() - start) / 1e9;
                long[] latencies = done.stream().mapToLong(t -> Duration.between(t.createdAt(), t.scheduledAt()).toMillis()).sorted().toArray();
                System.out.printf("BENCH stream: %d jobs submitted and placed in %.2f s (%.0f placements/s); submit→SCHEDULED p50 %d ms, p99 %d ms, max %d ms%n",
                        JOBS, streamSeconds, JOBS / streamSeconds, latencies[latencies.length / 2],
                        latencies[(int) (latencies.length * 0.99)], latencies[latencies.length - 1]);
            } finally {
                for (SimulatedNode node : nodes) {
                    node.stopKeepAlive();
                }
            }
        }
    }

    private static void submit(KvClient client, ExecutorService writers, String name) throws Exception {
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            String id = name + "-" + i;
            futures.add(writers.submit(() -> {
                TaskSpec spec = new TaskSpec(name, null, null, null, null, new TaskSpec.Resources(1, null, null), 50, 3,
                        List.of("true"), Map.of(), Map.of());
                Task task = Task.submitted(id, spec, "bench", Instant.now());
                client.txn().ifAbsent(Keys.task(id)).put(Keys.task(id), Json.write(task)).commit();
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
    }

    private static List<Task> tasks(KvClient client) {
        return client.list(Keys.TASKS).kvs().stream().map(kv -> Json.read(kv.value(), Task.class)).toList();
    }

    private static void awaitPending(KvClient client, int n) {
        Await.until(n + " tasks stored", Duration.ofMinutes(2),
                () -> Optional.of(tasks(client).size()).filter(size -> size == n), () -> "");
    }

    /** Waits, on a watch (polling 10,000 tasks would load the store under test), until n tasks are SCHEDULED. */
    private static List<Task> awaitScheduled(KvClient client, int n) {
        java.util.Set<String> scheduled = java.util.concurrent.ConcurrentHashMap.newKeySet();
        var listing = client.list(Keys.TASKS);
        listing.kvs().stream().filter(kv -> Json.read(kv.value(), Task.class).status() == TaskStatus.SCHEDULED)
                .forEach(kv -> scheduled.add(kv.key()));
        try (var watch = client.watch(Keys.TASKS, listing.revision() + 1, new dev.gantry.kv.client.WatchListener() {
            @Override
            public void onEvents(List<dev.gantry.kv.client.WatchEvent> events) {
                for (var e : events) {
                    if (e.type() == dev.gantry.kv.client.WatchEvent.Type.PUT
                            && Json.read(e.kv().value(), Task.class).status() == TaskStatus.SCHEDULED) {
                        scheduled.add(e.key());
                    }
                }
            }

            @Override
            public void onCompacted(long compactRevision) {
            }
        })) {
            Await.until(n + " tasks scheduled", Duration.ofMinutes(5),
                    () -> Optional.of(scheduled.size()).filter(size -> size >= n), () -> scheduled.size() + " scheduled");
        }
        return tasks(client);
    }
}
