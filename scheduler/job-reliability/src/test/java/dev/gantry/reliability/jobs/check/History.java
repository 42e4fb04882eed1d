package dev.gantry.reliability.jobs.check;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Node;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.reliability.jobs.history.KeyVersion;

/** Hand-written key histories for the checkers' tests: one revision per call, observed at the given second. */
final class History {
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private final List<KeyVersion> versions = new ArrayList<>();
    private long revision;
    private double seconds;

    static Task submitted(String id, int gpus) {
        TaskSpec spec = new TaskSpec(id, null, null, null, null, new TaskSpec.Resources(gpus, null, null), null, 5,
                List.of("bash", "-c", "sleep 1"), null, null).withDefaults();
        return Task.submitted(id, spec, null, NOW);
    }

    static Node node(String id, int gpus) {
        List<Node.Gpu> list = new ArrayList<>();
        for (int i = 0; i < gpus; i++) {
            list.add(new Node.Gpu(i, "GPU-" + id + "-" + i, "H100", 81920L, 0L, 0, null, null, true));
        }
        return new Node(id, id, list, true, 8, 1024L, Map.of(), "test", NOW, NOW);
    }

    /** The next events happen at {@code seconds} after the origin (0). */
    History at(double seconds) {
        this.seconds = seconds;
        return this;
    }

    /** Puts the task and, in the same revision, puts or deletes the assignment its status calls for. */
    History task(Task task, boolean withAssignment) {
        revision++;
        put(Keys.task(task.id()), Json.write(task), 0);
        if (withAssignment) {
            put(Keys.assignment(task.node(), task.id()), Json.write(Assignment.of(task)), 0);
        }
        return this;
    }

    History task(Task task) {
        return task(task, false);
    }

    /** The claim: SCHEDULED on {@code node} and its assignment, one txn. */
    History schedule(Task task) {
        return task(task, true);
    }

    /** Puts the task and deletes its assignment on {@code node}, one txn. */
    History release(Task task, String node) {
        revision++;
        put(Keys.task(task.id()), Json.write(task), 0);
        delete(Keys.assignment(node, task.id()));
        return this;
    }

    History assignment(Assignment assignment) {
        revision++;
        put(Keys.assignment(assignment.node(), assignment.taskId()), Json.write(assignment), 0);
        return this;
    }

    History deleteKey(String key) {
        revision++;
        delete(key);
        return this;
    }

    History node(Node node, long lease) {
        revision++;
        put(Keys.node(node.id()), Json.write(node), lease);
        return this;
    }

    List<KeyVersion> versions() {
        return List.copyOf(versions);
    }

    static long nanos(double seconds) {
        return Math.round(seconds * 1e9);
    }

    private void put(String key, String value, long lease) {
        versions.add(new KeyVersion(key, revision, false, value, lease, nanos(seconds)));
    }

    private void delete(String key) {
        versions.add(new KeyVersion(key, revision, true, null, 0, nanos(seconds)));
    }

    static Task schedule(Task task, String node, int... gpus) {
        List<String> ids = new ArrayList<>();
        for (int gpu : gpus) {
            ids.add("GPU-" + node + "-" + gpu);
        }
        return Lifecycle.schedule(task, node, ids, NOW);
    }
}
