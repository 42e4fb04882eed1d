package dev.gantry.agent.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

import dev.gantry.agent.logs.SecretMask;
import dev.gantry.agent.node.Fence;
import dev.gantry.agent.progress.ProgressTail;
import dev.gantry.agent.runner.Launch;
import dev.gantry.agent.runner.TaskProcess;
import dev.gantry.agent.task.TaskStore.Outcome;
import dev.gantry.job.Assignment;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Progress;
import dev.gantry.job.Task;

/**
 * One attempt of one task on this node: SCHEDULED → RUNNING, the process, its progress, and its exit, each
 * written with the {@link Fence} the assignment arrived under. Whoever stops a run ({@link #stop}) owns the
 * task's next status — the API wrote CANCELLED, the scheduler PENDING, the agent itself when it lost its lease —
 * so a stopped run writes nothing more.
 */
final class TaskRun {
    private static final Logger LOG = Logger.getLogger(TaskRun.class.getName());
    private static final Duration POLL = Duration.ofMillis(250);
    private static final int REASON_MAX = 300;

    private final Assignment assignment;
    private final Fence fence;
    private final List<Integer> gpuIndexes;
    private final Path dir;
    private final TaskStore store;
    private final Duration progressEvery;
    private final SecretEnv secrets;
    /** The secret values the process was started with: masked in its log and in what the run writes. */
    private volatile List<String> secretValues = List.of();
    private volatile TaskProcess process;
    private volatile boolean stopped;

    TaskRun(Assignment assignment, Fence fence, List<Integer> gpuIndexes, Path dir, TaskStore store, Duration progressEvery,
            SecretEnv secrets) {
        this.assignment = assignment;
        this.fence = fence;
        this.gpuIndexes = gpuIndexes;
        this.dir = dir;
        this.store = store;
        this.progressEvery = progressEvery;
        this.secrets = secrets;
    }

    String taskId() {
        return assignment.taskId();
    }

    int attempt() {
        return assignment.attempt();
    }

    Fence fence() {
        return fence;
    }

    Path dir() {
        return dir;
    }

    List<String> secretValues() {
        return secretValues;
    }

    /** Runs the task to its end; returns when the process has exited or the run was stopped. */
    void run(Task task) throws InterruptedException {
        Map<String, String> secretEnv;
        try {
            secretEnv = secrets.read(task.spec());
        } catch (SecretEnv.Missing | IllegalStateException e) {
            // Deleted (or broken by hand) since the submission checked it: no retry brings it back, so the task fails.
            String why = "cannot start: " + e.getMessage();
            LOG.warning(task.id() + ": " + why);
            write(t -> Lifecycle.fail(t, shorten(why), Instant.now()), "fail");
            return;
        }
        secretValues = List.copyOf(secretEnv.values());
        if (!write(t -> Lifecycle.start(t, Instant.now()), "start")) {
            return;
        }
        TaskProcess started;
        try {
            started = TaskProcess.start(Launch.of(task.spec(), gpuIndexes, dir.resolve("output"), secretEnv), dir);
            Files.writeString(dir.resolve("pid"), String.valueOf(started.pid()));
        } catch (IOException | RuntimeException e) {
            String why = "could not start the process: " + e.getMessage();
            LOG.warning(task.id() + ": " + why);
            write(t -> Lifecycle.fail(t, shorten(why), Instant.now()), "fail");
            return;
        }
        process = started;
        if (stopped) { // stopped while starting: the stopper could not see the process yet
            started.stop(Duration.ZERO);
            return;
        }
        LOG.info(() -> task.id() + " (attempt " + attempt() + ") started as pid " + started.pid() + " in " + dir);
        ProgressTail tail = new ProgressTail(started.stdout(), dir.resolve("output"));
        Progress written = null;
        long lastWrite = 0;
        while (!started.waitFor(POLL)) {
            Progress latest = tail.poll();
            if (latest != null && latest != written && System.nanoTime() - lastWrite >= progressEvery.toNanos() && !stopped) {
                Progress report = latest;
                if (!write(t -> Lifecycle.progress(t, report, Instant.now()), "progress")) {
                    stop(Duration.ZERO); // not ours any more, and nobody told us (a missed delete): stop anyway
                    return;
                }
                written = latest;
                lastWrite = System.nanoTime();
            }
        }
        int code = started.exitCode();
        if (stopped) {
            return;
        }
        Progress last = tail.poll();
        String why = code == 0 ? null : shorten("exited with code " + code + SecretMask.of(secretValues).apply(lastLine(started.stderr())));
        LOG.info(() -> task.id() + " exited with " + code);
        write(t -> Lifecycle.finish(last == null ? t : Lifecycle.progress(t, last, Instant.now()), code, why, Instant.now()), "finish");
    }

    /**
     * Stops the process group (SIGTERM, SIGKILL after {@code grace}); returns once it is gone. The run writes
     * nothing after this.
     */
    void stop(Duration grace) throws InterruptedException {
        stopped = true;
        TaskProcess running = process;
        if (running != null && running.isAlive()) {
            running.stop(grace);
            LOG.info(() -> taskId() + ": process group " + running.pid() + " stopped");
        }
    }

    private boolean write(java.util.function.UnaryOperator<Task> change, String what) {
        Outcome outcome = store.update(taskId(), attempt(), fence, change);
        if (outcome != Outcome.WRITTEN) {
            LOG.warning(taskId() + ": " + what + " not written (" + outcome + "): the task is no longer this node's attempt "
                    + attempt() + " under lease " + Long.toHexString(fence.leaseId()));
            return false;
        }
        return true;
    }

    /** ": <last line of stderr>", to say why a process failed; empty when there is none. */
    private static String lastLine(Path stderr) {
        try {
            List<String> lines = ProgressTail.lastLines(stderr, 1);
            return lines.isEmpty() ? "" : ": " + lines.get(0).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static String shorten(String text) {
        return text.length() <= REASON_MAX ? text : text.substring(0, REASON_MAX - 1) + "…";
    }
}
