package dev.gantry.it.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import dev.gantry.it.cluster.Await;

import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Node;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Watch;
import dev.gantry.kv.client.WatchEvent;
import dev.gantry.kv.client.WatchListener;

/**
 * Every change to {@code /tasks/} and {@code /assignments/}, replayed in revision order as it happens, checking
 * after each one that no node's GPUs are over-committed: the GPUs held by its SCHEDULED and RUNNING tasks are
 * distinct, are GPUs the node has, and are no more than it has. Records each placement (task, attempt, node,
 * revision) and how many times each assignment key was created.
 */
final class TaskHistory implements AutoCloseable {
    /** A task went SCHEDULED at {@code revision}. */
    record Placement(String taskId, int attempt, String node, int priority, long revision) {
    }

    /** Node id → its GPU ids (UUIDs). */
    private final Map<String, Set<String>> nodeGpus = new ConcurrentHashMap<>();
    private final Map<String, Task> current = new HashMap<>();
    private final List<Placement> placements = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final Map<String, Integer> assignmentCreations = new ConcurrentHashMap<>();
    private final Watch tasks;
    private final Watch assignments;

    /** Watches from {@code fromRevision}; the nodes to check are added as they register ({@link #addNode}). */
    TaskHistory(KvClient client, long fromRevision) {
        this.tasks = client.watch(Keys.TASKS, fromRevision, listener(this::onTasks));
        this.assignments = client.watch(Keys.ASSIGNMENTS, fromRevision, listener(events -> events.stream()
                .filter(e -> e.type() == WatchEvent.Type.PUT && e.kv().version() == 1)
                .forEach(e -> assignmentCreations.merge(e.key(), 1, Integer::sum))));
    }

    void addNode(SimulatedNode node) {
        nodeGpus.put(node.id, node.node.gpus().stream().map(Node.Gpu::uuid).collect(Collectors.toSet()));
    }

    /** Waits until {@code jobs} tasks have SUCCEEDED. */
    void awaitSucceeded(int jobs, Duration within, SimulatedAgents agents) {
        Await.until("all " + jobs + " jobs succeeded", within, () -> {
            long done = tasks().values().stream().filter(t -> t.status() == TaskStatus.SUCCEEDED).count();
            return done == jobs ? Optional.of(done) : Optional.empty();
        }, () -> "succeeded: " + agents.finished() + ", violations: " + violations());
    }

    /** No node was ever over-committed, and each of the {@code jobs} tasks was placed, and its assignment created, once. */
    void assertPlacedOnceEach(int jobs) {
        assertThat(violations()).isEmpty();
        assertThat(placements()).extracting(Placement::taskId).doesNotHaveDuplicates().hasSize(jobs);
        assertThat(assignmentCreations()).hasSize(jobs).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
    }

    private static WatchListener listener(java.util.function.Consumer<List<WatchEvent>> consumer) {
        return new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                consumer.accept(events);
            }

            @Override
            public void onCompacted(long compactRevision) {
                throw new IllegalStateException("history compacted at " + compactRevision);
            }
        };
    }

    private synchronized void onTasks(List<WatchEvent> events) {
        Set<String> touched = new HashSet<>();
        for (WatchEvent event : events) {
            if (event.type() == WatchEvent.Type.DELETE) {
                Task gone = current.remove(event.key());
                if (gone != null && gone.node() != null) {
                    touched.add(gone.node());
                }
                continue;
            }
            Task task = Json.read(event.kv().value(), Task.class);
            Task before = current.put(event.key(), task);
            if (task.status() == TaskStatus.SCHEDULED && (before == null || before.status() != TaskStatus.SCHEDULED)) {
                placements.add(new Placement(task.id(), task.attempt(), task.node(), task.spec().priorityOrDefault(), event.revision()));
            }
            if (before != null && before.node() != null) {
                touched.add(before.node());
            }
            if (task.node() != null) {
                touched.add(task.node());
            }
        }
        for (String node : touched) {
            check(node, events.getLast().revision());
        }
    }

    private void check(String node, long revision) {
        Set<String> held = new HashSet<>();
        int count = 0;
        for (Task task : current.values()) {
            if (node.equals(task.node()) && (task.status() == TaskStatus.SCHEDULED || task.status() == TaskStatus.RUNNING)) {
                for (String gpu : task.gpus()) {
                    count++;
                    if (!held.add(gpu)) {
                        violations.add("rev " + revision + ": GPU " + gpu + " of " + node + " held twice (again by " + task.id() + ")");
                    }
                }
                if (task.gpus().size() != task.spec().gpus()) {
                    violations.add("rev " + revision + ": " + task.id() + " holds " + task.gpus() + ", asked for " + task.spec().gpus());
                }
            }
        }
        Set<String> has = nodeGpus.get(node);
        if (has == null) {
            return;
        }
        if (count > has.size() || !has.containsAll(held)) {
            violations.add("rev " + revision + ": node " + node + " over-committed: " + held + " of " + has);
        }
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    synchronized List<Placement> placements() {
        return List.copyOf(placements);
    }

    synchronized Map<String, Task> tasks() {
        Map<String, Task> byId = new HashMap<>();
        current.values().forEach(t -> byId.put(t.id(), t));
        return byId;
    }

    Map<String, Integer> assignmentCreations() {
        return Map.copyOf(assignmentCreations);
    }

    @Override
    public void close() {
        tasks.close();
        assignments.close();
    }
}
