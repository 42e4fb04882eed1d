package dev.gantry.reliability.jobs.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Node;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.reliability.check.Anomaly;
import dev.gantry.reliability.jobs.history.KeyVersion;

/**
 * Judges the recorded key history, replayed revision by revision:
 * <ul>
 * <li>every version of a task follows the lifecycle: it is created PENDING at attempt 0; each change is a legal
 * transition ({@link Lifecycle#allowed}) or an update in place (progress, a pending reason) that keeps status,
 * attempt, node and GPUs; a task changes node only by going back to PENDING with attempt + 1; nothing changes
 * after a final status; no task is ever deleted;</li>
 * <li>after every revision, a task holds exactly one assignment while it is SCHEDULED or RUNNING — on its node, at
 * its attempt, with its GPUs — and none otherwise: so it is placed on one node at a time;</li>
 * <li>after every revision, the live assignments of a node hold distinct GPUs, all of them GPUs the node
 * reported: no GPU is given to two tasks at once.</li>
 * </ul>
 */
public final class TaskChecker {
    public static final String LIFECYCLE = "task lifecycle";
    public static final String PLACEMENT = "one node per task";
    public static final String GPUS = "one task per GPU";

    private final Map<String, Task> tasks = new HashMap<>();
    /** Assignment key → assignment, in key order (so that explanations name tasks in a stable order). */
    private final Map<String, Assignment> assignments = new TreeMap<>();
    /** Task id → the keys of its live assignments. */
    private final Map<String, Set<String>> assignmentsOfTask = new HashMap<>();
    private final Map<String, Set<String>> nodeGpus = new HashMap<>();
    private final List<Anomaly> anomalies = new ArrayList<>();
    /** "GPU a b" of the double assignments reported already: each is reported once, where it begins. */
    private final Set<String> doubles = new HashSet<>();

    public List<Anomaly> check(List<KeyVersion> history) {
        TreeMap<Long, List<KeyVersion>> byRevision = new TreeMap<>();
        history.forEach(v -> byRevision.computeIfAbsent(v.revision(), r -> new ArrayList<>()).add(v));
        byRevision.forEach(this::apply);
        return List.copyOf(anomalies);
    }

    private void apply(long revision, List<KeyVersion> events) {
        Set<String> touchedTasks = new LinkedHashSet<>();
        Set<String> touchedNodes = new LinkedHashSet<>();
        for (KeyVersion event : events) {
            String key = event.key();
            if (key.startsWith(Keys.TASKS)) {
                String id = Keys.lastSegment(key);
                touchedTasks.add(id);
                Task before = tasks.get(id);
                if (before != null && before.node() != null) {
                    touchedNodes.add(before.node());
                }
                if (event.deleted()) {
                    anomalies.add(new Anomaly(LIFECYCLE, "task " + id + " was deleted at revision " + revision
                            + " (it was " + describe(before) + "): no job may disappear"));
                    tasks.remove(id);
                    continue;
                }
                Task task = Json.read(event.value(), Task.class);
                lifecycle(revision, before, task);
                tasks.put(id, task);
            } else if (key.startsWith(Keys.ASSIGNMENTS)) {
                String id = Keys.lastSegment(key);
                touchedTasks.add(id);
                touchedNodes.add(nodeOf(key));
                if (event.deleted()) {
                    assignments.remove(key);
                    assignmentsOfTask.getOrDefault(id, new HashSet<>()).remove(key);
                } else {
                    assignments.put(key, Json.read(event.value(), Assignment.class));
                    assignmentsOfTask.computeIfAbsent(id, i -> new HashSet<>()).add(key);
                }
            } else if (key.startsWith(Keys.NODES) && !event.deleted()) {
                Node node = Json.read(event.value(), Node.class);
                Set<String> ids = new HashSet<>();
                node.gpus().forEach(gpu -> ids.add(gpu.uuid() != null ? gpu.uuid() : String.valueOf(gpu.index())));
                nodeGpus.put(Keys.lastSegment(key), ids);
            }
        }
        touchedTasks.forEach(id -> placement(revision, id));
        touchedNodes.forEach(node -> gpus(revision, node));
    }

    private void lifecycle(long revision, Task before, Task task) {
        String at = "task " + task.id() + " at revision " + revision + ": ";
        if (before == null) {
            if (task.status() != TaskStatus.PENDING || task.attempt() != 0 || task.node() != null) {
                anomalies.add(new Anomaly(LIFECYCLE, at + "created as " + describe(task) + ", not PENDING at attempt 0"));
            }
            return;
        }
        if (before.status().isTerminal()) {
            anomalies.add(new Anomaly(LIFECYCLE, at + "changed after it ended " + before.status() + ": now " + describe(task)));
            return;
        }
        if (before.status() == task.status()) {
            if (before.attempt() != task.attempt() || !Objects.equals(before.node(), task.node())
                    || !before.gpus().equals(task.gpus())) {
                anomalies.add(new Anomaly(LIFECYCLE, at + "changed placement without a transition: " + describe(before)
                        + " → " + describe(task)));
            }
            return;
        }
        if (!Lifecycle.allowed(before.status(), task.status())) {
            anomalies.add(new Anomaly(LIFECYCLE, at + "illegal transition " + describe(before) + " → " + describe(task)));
            return;
        }
        boolean ok = switch (task.status()) {
            case PENDING -> task.attempt() == before.attempt() + 1 && task.node() == null && task.gpus().isEmpty();
            case SCHEDULED -> task.attempt() == before.attempt() && task.node() != null
                    && task.gpus().size() == task.spec().gpus();
            default -> task.attempt() == before.attempt() && Objects.equals(task.node(), before.node());
        };
        if (!ok) {
            anomalies.add(new Anomaly(LIFECYCLE, at + "wrong attempt, node or GPUs across " + describe(before)
                    + " → " + describe(task)));
        }
    }

    private void placement(long revision, String id) {
        Task task = tasks.get(id);
        Set<String> keys = assignmentsOfTask.getOrDefault(id, Set.of());
        String at = "task " + id + " at revision " + revision + ": ";
        boolean placed = task != null && (task.status() == TaskStatus.SCHEDULED || task.status() == TaskStatus.RUNNING);
        if (keys.size() > 1) {
            anomalies.add(new Anomaly(PLACEMENT, at + "assigned to several nodes at once: " + describeAll(keys)));
        } else if (placed && keys.isEmpty()) {
            anomalies.add(new Anomaly(PLACEMENT, at + describe(task) + " but it has no assignment"));
        } else if (placed) {
            Assignment assignment = assignments.get(keys.iterator().next());
            if (!task.node().equals(assignment.node()) || task.attempt() != assignment.attempt()
                    || !task.gpus().equals(assignment.gpus())) {
                anomalies.add(new Anomaly(PLACEMENT, at + describe(task) + " but its assignment says " + assignment));
            }
        } else if (!keys.isEmpty()) {
            anomalies.add(new Anomaly(PLACEMENT, at + describe(task) + " but it is still assigned: " + describeAll(keys)));
        }
    }

    private void gpus(long revision, String node) {
        Map<String, String> holder = new HashMap<>();
        Set<String> known = nodeGpus.get(node);
        for (Map.Entry<String, Assignment> entry : assignments.entrySet()) {
            if (!nodeOf(entry.getKey()).equals(node)) {
                continue;
            }
            Assignment assignment = entry.getValue();
            for (String gpu : assignment.gpus()) {
                String other = holder.putIfAbsent(gpu, assignment.taskId());
                if (other != null && doubles.add(gpu + " " + other + " " + assignment.taskId())) {
                    anomalies.add(new Anomaly(GPUS, "revision " + revision + ": GPU " + gpu + " of " + node
                            + " assigned to " + other + " and " + assignment.taskId() + " at once"));
                }
                if (known != null && !known.contains(gpu)) {
                    anomalies.add(new Anomaly(GPUS, "revision " + revision + ": " + assignment.taskId()
                            + " was given GPU " + gpu + ", which " + node + " does not have " + known));
                }
            }
        }
    }

    /** The node of {@code /assignments/<node>/<task>}. */
    private static String nodeOf(String assignmentKey) {
        String rest = assignmentKey.substring(Keys.ASSIGNMENTS.length());
        return rest.substring(0, rest.indexOf('/'));
    }

    private String describeAll(Set<String> keys) {
        return keys.stream().sorted().map(key -> key + " " + assignments.get(key)).toList().toString();
    }

    static String describe(Task task) {
        if (task == null) {
            return "absent";
        }
        return task.status() + " (attempt " + task.attempt() + (task.node() == null ? "" : ", on " + task.node()
                + " " + task.gpus()) + ")";
    }
}
