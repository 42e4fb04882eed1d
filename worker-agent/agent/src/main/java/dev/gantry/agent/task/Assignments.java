package dev.gantry.agent.task;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.gantry.agent.node.Fence;
import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Node;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Listing;
import dev.gantry.kv.client.Watch;
import dev.gantry.kv.client.WatchEvent;
import dev.gantry.kv.client.WatchListener;

/**
 * The tasks the scheduler gave this node: {@code /assignments/<node>/}, listed and then watched from the listing's
 * revision, again after every (re)registration and after a compaction. A new assignment starts a {@link TaskRun};
 * a deleted one (cancel, requeue) stops it. An assignment whose task is RUNNING but has no run here — the agent
 * restarted, or stopped it when it lost its lease — is handed back to the queue with the reason.
 */
public final class Assignments implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Assignments.class.getName());

    private final KvClient client;
    private final TaskStore store;
    private final SecretEnv secrets;
    private final Path workDir;
    private final Supplier<List<Node.Gpu>> gpus;
    private final Duration stopGrace;
    private final Duration progressEvery;
    private final Map<String, TaskRun> runs = new ConcurrentHashMap<>();
    /** Tasks this agent stopped itself, with why: said when their assignments are seen again. */
    private final Map<String, String> stoppedHere = new ConcurrentHashMap<>();
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    private Watch watch;
    private Fence fence;

    public Assignments(KvClient client, Path workDir, Supplier<List<Node.Gpu>> gpus, Duration stopGrace, Duration progressEvery) {
        this.client = client;
        this.store = new TaskStore(client);
        this.secrets = new SecretEnv(client);
        this.workDir = workDir;
        this.gpus = gpus;
        this.stopGrace = stopGrace;
        this.progressEvery = progressEvery;
    }

    /** Follows this node's assignments under {@code fence}: lists them, then watches from the listing's revision. */
    public synchronized void follow(Fence fence) {
        this.fence = fence;
        if (watch != null) {
            watch.close();
        }
        String prefix = Keys.assignments(fence.node());
        Listing listing = client.list(prefix);
        Set<String> assigned = new HashSet<>();
        for (Kv kv : listing.kvs()) {
            assigned.add(Keys.lastSegment(kv.key()));
            assigned(kv);
        }
        for (TaskRun run : new ArrayList<>(runs.values())) {
            if (!assigned.contains(run.taskId())) {
                unassigned(run.taskId()); // deleted while the watch was down
            }
        }
        watch = client.watch(prefix, listing.revision() + 1, new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                for (WatchEvent event : events) {
                    if (event.type() == WatchEvent.Type.PUT) {
                        assigned(event.kv());
                    } else {
                        unassigned(Keys.lastSegment(event.key()));
                    }
                }
            }

            @Override
            public void onCompacted(long compactRevision) {
                work.execute(() -> {
                    synchronized (Assignments.this) {
                        if (Assignments.this.fence == fence) {
                            follow(fence); // relist: what changed in the compacted history is in the current state
                        }
                    }
                });
            }
        });
    }

    /** The runs going on now. */
    public int running() {
        return runs.size();
    }

    /** The directory of the latest run of a task on this node, if there is one. */
    public Optional<Path> dirOf(String taskId) {
        TaskRun run = runs.get(taskId);
        return run != null ? Optional.of(run.dir()) : TaskDirs.latest(workDir, taskId);
    }

    /**
     * The secret values a task's log may hold: those its run here started with, and those its secrets have now (a
     * finished task's run is gone, and an agent restarted since knows no other). Throws when the store cannot say:
     * the log is not served unmasked.
     */
    public Set<String> secretsOf(String taskId) {
        Set<String> values = new HashSet<>();
        TaskRun run = runs.get(taskId);
        if (run != null) {
            values.addAll(run.secretValues());
        }
        client.get(Keys.task(taskId)).map(kv -> Json.read(kv.value(), Task.class))
                .ifPresent(task -> values.addAll(secrets.currentValues(task.spec())));
        return values;
    }

    /** Whether a task runs here now. */
    public boolean isRunning(String taskId) {
        return runs.containsKey(taskId);
    }

    private void assigned(Kv kv) {
        Assignment assignment;
        try {
            assignment = Json.read(kv.value(), Assignment.class);
        } catch (RuntimeException e) {
            LOG.warning("ignoring " + kv.key() + ": not an assignment (" + e.getMessage() + ")");
            return;
        }
        Fence current = fence;
        TaskRun existing = runs.get(assignment.taskId());
        if (existing != null && existing.attempt() == assignment.attempt() && existing.fence().equals(current)) {
            return; // it runs under this registration already
        }
        work.execute(() -> start(assignment, current));
    }

    private void start(Assignment assignment, Fence fence) {
        String id = assignment.taskId();
        TaskRun previous = runs.get(id);
        TaskRun stale = previous != null && !previous.fence().equals(fence) ? previous : null;
        if (stale != null) {
            // A run of a lease this agent lost that has not ended yet (its thread may be waiting on a call to the
            // cluster): stopped, it writes nothing more, and the task is decided below as if it had ended. Taken
            // for a live run, it left its task RUNNING for good once it ended.
            try {
                stale.stop(stopGrace);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        Task task = client.get(Keys.task(id)).map(kv -> Json.read(kv.value(), Task.class)).orElse(null);
        if (task == null || task.attempt() != assignment.attempt() || !fence.node().equals(task.node())) {
            return; // a leftover of an older placement: the scheduler cleans it up
        }
        if (task.status() == TaskStatus.RUNNING) {
            String why = stoppedHere.getOrDefault(id, "the agent on " + fence.node() + " restarted and lost the task's process");
            store.update(id, assignment.attempt(), fence, t -> Lifecycle.requeue(t, why, Instant.now()));
            stoppedHere.remove(id);
            return;
        }
        if (task.status() != TaskStatus.SCHEDULED) {
            return;
        }
        List<Integer> indexes;
        try {
            indexes = gpuIndexes(assignment.gpus());
        } catch (IllegalArgumentException e) {
            store.update(id, assignment.attempt(), fence, t -> Lifecycle.fail(t, e.getMessage(), Instant.now()));
            return;
        }
        TaskRun run = new TaskRun(assignment, fence, indexes, TaskDirs.of(workDir, id, assignment.attempt()), store, progressEvery,
                secrets);
        try {
            TaskRun earlier = runs.get(id);
            if (earlier != null && earlier.attempt() != assignment.attempt()) {
                // requeued and placed here again: the old attempt's process must be gone before the new one starts
                earlier.stop(stopGrace);
                runs.remove(id, earlier);
            }
            if (runs.compute(id, (key, other) -> other == null || other == stale ? run : other) != run) {
                return; // it runs under this registration already
            }
            run.run(task);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, id + ": the run failed", e);
        } finally {
            runs.remove(id, run);
        }
    }

    /** The assignment is gone (cancelled, requeued, finished): stop the run, if any; its next status is not ours to write. */
    private void unassigned(String taskId) {
        TaskRun run = runs.get(taskId);
        if (run != null) {
            work.execute(() -> {
                try {
                    run.stop(stopGrace);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    /** The assigned GPUs (UUIDs, or indexes for GPUs without one) as the indexes CUDA_VISIBLE_DEVICES takes. */
    List<Integer> gpuIndexes(List<String> assigned) {
        List<Node.Gpu> here = gpus.get();
        List<Integer> indexes = new ArrayList<>();
        for (String id : assigned) {
            Node.Gpu gpu = here.stream().filter(g -> id.equals(g.uuid()) || id.equals(String.valueOf(g.index()))).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("assigned GPU " + id + " is not on this node"));
            indexes.add(gpu.index());
        }
        return indexes;
    }

    /**
     * Self-fencing: the node's lease is lost, so the scheduler may already be placing these tasks elsewhere. Stops
     * every run now, without writing (the old lease's writes would be refused anyway); returns what was stopped.
     */
    public List<String> stopAll(String why) {
        List<String> stopped = new ArrayList<>();
        stopEveryRun(run -> {
            stopped.add(run.taskId());
            stoppedHere.put(run.taskId(), why);
        }, run -> { });
        return stopped;
    }

    /**
     * The agent is shutting down: stops every run and hands its task back to the queue under the lease the run
     * was started with, so the scheduler places it again at once rather than after the lease's TTL.
     */
    @Override
    public void close() {
        stopEveryRun(run -> { }, run -> {
            try {
                store.update(run.taskId(), run.attempt(), run.fence(),
                        t -> Lifecycle.requeue(t, "the agent on " + run.fence().node() + " was stopped", Instant.now()));
            } catch (RuntimeException e) {
                LOG.warning(run.taskId() + ": could not hand the task back (" + e.getMessage() + "); the scheduler "
                        + "requeues it when the node's lease expires");
            }
        });
        work.shutdownNow();
    }

    /**
     * Stops following assignments, then stops every run in parallel (each may take the grace period) and returns
     * once all are gone; {@code before} runs first for each, {@code after} once its process is gone.
     */
    private void stopEveryRun(java.util.function.Consumer<TaskRun> before, java.util.function.Consumer<TaskRun> after) {
        synchronized (this) {
            fence = null;
            if (watch != null) {
                watch.close();
                watch = null;
            }
        }
        List<Thread> stopping = new ArrayList<>();
        for (TaskRun run : runs.values()) {
            before.accept(run);
            stopping.add(Thread.ofVirtual().start(() -> {
                try {
                    run.stop(stopGrace);
                    after.accept(run);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        join(stopping);
    }

    private static void join(List<Thread> threads) {
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
