package dev.gantry.it.console;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Node;
import dev.gantry.job.Progress;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.KeepAlive;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Listing;
import dev.gantry.kv.client.Watch;
import dev.gantry.kv.client.WatchEvent;
import dev.gantry.kv.client.WatchListener;

/**
 * A worker agent as far as the store can tell, for the console's tests (the real one needs a GPU host): it registers
 * {@code /nodes/<id>} under a lease kept alive, refreshes its telemetry every {@link #TELEMETRY}, and runs each task
 * assigned to it: SCHEDULED → RUNNING, a progress record every {@link #STEP} (step, falling loss, percent, ETA),
 * then SUCCEEDED with its assignment deleted. Each write is a txn comparing the task's mod revision and the node's
 * lease, as the agent's are. A deleted assignment (cancel) stops the task at its next step.
 *
 * <p>A task runs {@link #DEFAULT_STEPS} steps, or as many as its label {@value #STEPS_LABEL} says.
 */
final class SimulatedAgent implements AutoCloseable {
    static final Duration STEP = Duration.ofMillis(400);
    static final Duration TELEMETRY = Duration.ofSeconds(2);
    static final int DEFAULT_STEPS = 12;
    static final String STEPS_LABEL = "sim-steps";
    private static final long LEASE_TTL_SECONDS = 10;

    final String id;
    private final KvClient kv;
    private final String gpuName;
    private final long memoryMiB;
    private final int gpuCount;
    private final long leaseId;
    private final KeepAlive keepAlive;
    private final Instant registeredAt = Instant.now();
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService telemetry = Executors.newSingleThreadScheduledExecutor();
    /** Task id → the GPUs it holds while this agent runs it. */
    private final Map<String, List<String>> running = new ConcurrentHashMap<>();
    private final Set<String> unassigned = ConcurrentHashMap.newKeySet();
    /** Task id → why this agent stopped running it before the end. */
    private final Map<String, String> stopped = new ConcurrentHashMap<>();
    private final Watch watch;
    private volatile boolean closed;

    private SimulatedAgent(KvClient kv, String id, int gpuCount, String gpuName, long memoryGiB) {
        this.kv = kv;
        this.id = id;
        this.gpuCount = gpuCount;
        this.gpuName = gpuName;
        this.memoryMiB = memoryGiB * 1024;
        this.leaseId = kv.grantLease(LEASE_TTL_SECONDS);
        this.keepAlive = kv.keepAlive(leaseId, why -> { });
        register();
        Listing assigned = kv.list(Keys.assignments(id));
        assigned.kvs().forEach(this::assigned);
        this.watch = kv.watch(Keys.assignments(id), assigned.revision() + 1, new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                for (WatchEvent event : events) {
                    if (event.type() == WatchEvent.Type.PUT) {
                        assigned(event.kv());
                    } else {
                        unassigned.add(Keys.lastSegment(event.key()));
                    }
                }
            }

            @Override
            public void onCompacted(long compactRevision) {
                throw new IllegalStateException("the simulated agent's watch was compacted");
            }
        });
        telemetry.scheduleWithFixedDelay(this::refresh, TELEMETRY.toMillis(), TELEMETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    static SimulatedAgent start(KvClient kv, String id, int gpus, String gpuName, long memoryGiB) {
        return new SimulatedAgent(kv, id, gpus, gpuName, memoryGiB);
    }

    /** Why this agent stopped a task before its end (its assignment was deleted, ...), if it did. */
    String stoppedBecause(String taskId) {
        return stopped.get(taskId);
    }

    private void refresh() {
        try {
            register();
        } catch (RuntimeException e) {
            // the server may be restarting; the next refresh tries again
        }
    }

    /** Puts this node's report: GPUs held by running tasks look busy (hot, memory used), the others idle. */
    private void register() {
        Set<String> busy = ConcurrentHashMap.newKeySet();
        running.values().forEach(busy::addAll);
        long second = Instant.now().getEpochSecond();
        List<Node.Gpu> gpus = IntStream.range(0, gpuCount).mapToObj(i -> {
            boolean hot = busy.contains(String.valueOf(i)) || busy.contains(uuid(i));
            int jitter = (int) ((second + i * 7) % 6);
            return new Node.Gpu(i, uuid(i), gpuName, memoryMiB, hot ? memoryMiB * 7 / 10 + jitter * 100 : 0L,
                    hot ? 88 + jitter : 0, hot ? 68 + jitter : 31 + jitter % 3, hot ? 550.0 + jitter * 10 : 60.0, true);
        }).toList();
        Node node = new Node(id, id + ".sim.local", gpus, true, 32, 512L * 1024, Map.of("zone", "test"), "simulated",
                registeredAt, Instant.now());
        kv.put(Keys.node(id), Json.write(node), leaseId);
    }

    private String uuid(int index) {
        return "GPU-" + id + "-" + index;
    }

    private void assigned(Kv assignmentKv) {
        Assignment assignment = Json.read(assignmentKv.value(), Assignment.class);
        work.execute(() -> {
            try {
                run(assignment);
            } catch (RuntimeException e) {
                if (!closed) {
                    stopped.put(assignment.taskId(), "failed: " + e);
                }
            } finally {
                running.remove(assignment.taskId());
            }
        });
    }

    private void run(Assignment assignment) {
        Task task = update(assignment, t -> t.status() == TaskStatus.SCHEDULED ? Lifecycle.start(t, Instant.now()) : null, false);
        if (task == null) {
            return;
        }
        running.put(task.id(), assignment.gpus());
        int steps = steps(task);
        for (int step = 1; step <= steps; step++) {
            try {
                Thread.sleep(STEP); // the simulated training's pace, not a wait for anything
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            if (unassigned.contains(task.id())) {
                stopped.put(task.id(), "assignment deleted");
                return;
            }
            Progress progress = progress(step, steps);
            String[] seen = new String[1];
            Task next = update(assignment, t -> {
                seen[0] = t.status().name();
                return t.status() == TaskStatus.RUNNING ? Lifecycle.progress(t, progress, Instant.now()) : null;
            }, false);
            if (next == null) {
                // The cancel's txn may reach this agent through the task before its watch sees the assignment go.
                stopped.put(task.id(), unassigned.contains(task.id()) ? "assignment deleted" : "task is " + seen[0]);
                return;
            }
        }
        update(assignment, t -> t.status() == TaskStatus.RUNNING ? Lifecycle.finish(t, 0, null, Instant.now()) : null, true);
    }

    private static int steps(Task task) {
        String label = task.spec().labels() == null ? null : task.spec().labels().get(STEPS_LABEL);
        return label == null ? DEFAULT_STEPS : Integer.parseInt(label);
    }

    /** A loss that falls as training does, with a little noise. */
    static Progress progress(int step, int steps) {
        double fraction = (double) step / steps;
        double loss = 0.35 + 1.9 * Math.exp(-3 * fraction) + 0.04 * Math.sin(step * 1.7);
        long eta = (steps - step) * STEP.toMillis() / 1000;
        return new Progress((long) step, (long) steps, Math.round(fraction * 1000) / 10.0, Math.round(loss * 1000) / 1000.0, eta, Instant.now());
    }

    /**
     * Writes {@code change} of the task with the agent's fencing (the task unchanged since read, this node's lease
     * alive, the same attempt); reads again on a lost race. Null when the change does not apply any more.
     */
    private Task update(Assignment assignment, java.util.function.UnaryOperator<Task> change, boolean finish) {
        String key = Keys.task(assignment.taskId());
        for (int tries = 0; tries < 20 && !closed; tries++) {
            Kv kv = this.kv.get(key).orElse(null);
            if (kv == null) {
                return null;
            }
            Task task = Json.read(kv.value(), Task.class);
            if (task.attempt() != assignment.attempt() || !id.equals(task.node())) {
                return null;
            }
            Task next = change.apply(task);
            if (next == null) {
                return null;
            }
            var txn = this.kv.txn().ifModRevision(key, kv.modRevision()).ifLease(Keys.node(id), leaseId).put(key, Json.write(next));
            if (finish) {
                txn.delete(Keys.assignment(id, task.id()));
            }
            if (txn.commit().succeeded()) {
                return next;
            }
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        watch.close();
        telemetry.shutdownNow();
        work.shutdownNow();
        keepAlive.close();
        try {
            kv.revokeLease(leaseId);
        } catch (RuntimeException e) {
            // the server may be gone already
        }
    }
}
