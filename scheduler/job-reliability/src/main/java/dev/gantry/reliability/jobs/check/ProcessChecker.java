package dev.gantry.reliability.jobs.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.reliability.check.Anomaly;
import dev.gantry.reliability.jobs.history.KeyVersion;
import dev.gantry.reliability.jobs.history.Outage;
import dev.gantry.reliability.jobs.history.ProcessRun;

/**
 * Judges the processes that really ran on the agent hosts against the placements in the key history. What the
 * system guarantees, and so what is checked:
 * <ul>
 * <li><b>A task's process outlives its assignment by at most the fencing window</b> — unless its agent is dead.
 * A live agent stops a task when its assignment is deleted (cancel, requeue), and stops everything when its
 * lease is lost, which it decides no later than the server can expire that lease (a TTL after the send of the
 * last renewal that was answered); the scheduler requeues a task, deleting its assignment, only after the
 * lease expired. So the process is gone within the agent's stop grace (SIGTERM, then SIGKILL) plus its reaction
 * time after the deletion: the {@code window}.</li>
 * <li><b>A killed agent's processes die before its successor registers.</b> Task processes run in sessions of
 * their own and survive a SIGKILL of the agent (as they survive its crash); nothing can stop them until an agent
 * runs on that host again, and that agent kills them first, before it registers. Until then they are
 * orphans: they may overlap the task's next placement, for as long as the agent is down.</li>
 * <li>Hence <b>no task runs on two nodes at once</b> beyond those two allowances, and <b>no two tasks' processes
 * use one GPU at once</b> beyond them; and after every job has ended, nothing runs.</li>
 * </ul>
 */
public final class ProcessChecker {
    public static final String OUTLIVED = "process outlives its assignment";
    public static final String ORPHAN = "orphans die before the agent registers";
    public static final String TWO_NODES = "one node per task (processes)";
    public static final String GPUS = "one task per GPU (processes)";
    public static final String LEFT_RUNNING = "nothing left running";

    private final Duration window;
    private final Duration registrationSlack;
    private final long origin;

    /** The greatest overlap of one task's processes on two nodes seen, allowed or not (ms). */
    private long maxOverlapMillis;
    /** The longest a process of a live agent was seen alive after its assignment ended (ms). */
    private long maxOutlivedMillis;

    /**
     * @param window            how long a live agent's process may outlive its assignment
     * @param registrationSlack how long after a restarted agent's registration was observed its predecessor's
     *                          processes may still be seen (the sweep's own delay)
     * @param origin            the run's start (monotonic clock), for the times in the explanations
     */
    public ProcessChecker(Duration window, Duration registrationSlack, long origin) {
        this.window = window;
        this.registrationSlack = registrationSlack;
        this.origin = origin;
    }

    public List<Anomaly> check(List<ProcessRun> runs, List<Long> sweeps, List<KeyVersion> history, List<Outage> outages) {
        Placements placements = new Placements(history, outages, registrationSlack.toNanos());
        List<Anomaly> anomalies = new ArrayList<>();
        for (ProcessRun run : runs) {
            long ownedUntil = placements.ownedUntil(run);
            for (int s = run.firstSweep(); s <= run.lastSweep(); s++) {
                long at = sweeps.get(s);
                if (at > ownedUntil && !placements.orphan(run.node(), at)) {
                    maxOutlivedMillis = Math.max(maxOutlivedMillis, millis(at - ownedUntil));
                }
                if (!excused(run, at, ownedUntil, placements)) {
                    anomalies.add(new Anomaly(OUTLIVED, run + " alive at " + time(at) + ", "
                            + (ownedUntil == Long.MIN_VALUE ? "and it was never assigned there"
                                    : millis(at - ownedUntil) + " ms after its assignment ended at " + time(ownedUntil))
                            + ", with its agent up (allowed: " + window.toMillis() + " ms)"));
                    break;
                }
            }
        }
        for (Placements.OrphanWindow orphans : placements.orphanWindows()) {
            for (ProcessRun run : runs) {
                if (!run.node().equals(orphans.node()) || !aliveBetween(run, sweeps, orphans.killed(), orphans.registered())) {
                    continue;
                }
                long last = sweeps.get(run.lastSweep());
                if (last > plus(orphans.registered(), registrationSlack.toNanos())) {
                    anomalies.add(new Anomaly(ORPHAN, run + " outlived its killed agent: alive at " + time(last)
                            + ", after the agent started again registered at " + time(orphans.registered())));
                }
            }
        }
        for (int i = 0; i < runs.size(); i++) {
            for (int j = i + 1; j < runs.size(); j++) {
                ProcessRun a = runs.get(i);
                ProcessRun b = runs.get(j);
                int from = Math.max(a.firstSweep(), b.firstSweep());
                int to = Math.min(a.lastSweep(), b.lastSweep());
                if (from > to) {
                    continue;
                }
                if (a.taskId().equals(b.taskId()) && !a.node().equals(b.node())) {
                    maxOverlapMillis = Math.max(maxOverlapMillis, millis(sweeps.get(to) - sweeps.get(from)));
                    ProcessRun older = a.attempt() <= b.attempt() ? a : b;
                    ProcessRun newer = older == a ? b : a;
                    overlap(TWO_NODES, older, newer, from, to, sweeps, placements, anomalies);
                } else if (!a.taskId().equals(b.taskId()) && a.node().equals(b.node())
                        && a.gpus().stream().anyMatch(b.gpus()::contains)) {
                    overlap(GPUS, a, b, from, to, sweeps, placements, anomalies);
                }
            }
        }
        int last = sweeps.size() - 1;
        runs.stream().filter(run -> run.aliveAt(last)).forEach(run -> anomalies.add(new Anomaly(LEFT_RUNNING,
                run + " still runs at " + time(sweeps.get(last)) + ", after every job ended")));
        return anomalies;
    }

    /**
     * Two runs alive in the same sweeps: one task on two nodes, or two tasks on one GPU. Allowed while one of them
     * is an orphan or within the window after its assignment ended (it is being stopped).
     */
    private void overlap(String checker, ProcessRun a, ProcessRun b, int from, int to, List<Long> sweeps,
            Placements placements, List<Anomaly> anomalies) {
        long aOwned = placements.ownedUntil(a);
        long bOwned = placements.ownedUntil(b);
        for (int s = from; s <= to; s++) {
            long at = sweeps.get(s);
            if (!stopping(a, at, aOwned, placements) && !stopping(b, at, bOwned, placements)) {
                String what = checker.equals(TWO_NODES) ? "ran on two nodes at once" : "used one GPU at once";
                anomalies.add(new Anomaly(checker, a + " and " + b + " " + what + " at " + time(at) + " ("
                        + millis(sweeps.get(to) - sweeps.get(from)) + " ms in all), neither an orphan nor stopping: "
                        + "assignments ended at " + time(aOwned) + " and " + time(bOwned)));
                return;
            }
        }
    }

    /** Alive at {@code at} for a reason other than holding its assignment: an orphan, or being stopped. */
    private boolean stopping(ProcessRun run, long at, long ownedUntil, Placements placements) {
        return placements.orphan(run.node(), at) || (at > ownedUntil && at <= plus(ownedUntil, window.toNanos()));
    }

    private boolean excused(ProcessRun run, long at, long ownedUntil, Placements placements) {
        return at <= plus(ownedUntil, window.toNanos()) || placements.orphan(run.node(), at);
    }

    private static boolean aliveBetween(ProcessRun run, List<Long> sweeps, long from, long to) {
        for (int s = run.firstSweep(); s <= run.lastSweep(); s++) {
            if (sweeps.get(s) >= from && sweeps.get(s) <= to) {
                return true;
            }
        }
        return false;
    }

    public long maxOverlapMillis() {
        return maxOverlapMillis;
    }

    public long maxOutlivedMillis() {
        return maxOutlivedMillis;
    }

    private String time(long nanos) {
        if (nanos == Long.MAX_VALUE) {
            return "(never)";
        }
        if (nanos == Long.MIN_VALUE) {
            return "(never assigned)";
        }
        return String.format("%.3fs", (nanos - origin) / 1e9);
    }

    /** a + b, held at Long.MAX_VALUE rather than wrapping (MAX stands for "never ended"). */
    static long plus(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    /** What the key history and the outages say about where tasks were placed and when agents were away. */
    static final class Placements {
        /** From the agent's SIGKILL until its successor registered, plus the slack of a sweep. */
        record OrphanWindow(String node, long killed, long registered, long slack) {
            boolean covers(String node, long at) {
                return this.node.equals(node) && at >= killed && at <= plus(registered, slack);
            }
        }

        /** "node/task/attempt" → when its assignment was last seen ending (MAX while it lives). */
        private final Map<String, Long> assignedUntil = new HashMap<>();
        private final List<OrphanWindow> orphanWindows = new ArrayList<>();

        Placements(List<KeyVersion> history, List<Outage> outages, long slack) {
            Map<String, String> open = new HashMap<>(); // assignment key → its "node/task/attempt"
            Map<String, List<Long>> registrations = new HashMap<>();
            Map<String, Long> leases = new HashMap<>();
            for (KeyVersion event : history) {
                if (event.key().startsWith(Keys.ASSIGNMENTS)) {
                    String previous = open.remove(event.key());
                    if (previous != null) {
                        assignedUntil.put(previous, event.observedNanos());
                    }
                    if (!event.deleted()) {
                        Assignment assignment = Json.read(event.value(), Assignment.class);
                        String id = id(assignment.node(), assignment.taskId(), assignment.attempt());
                        open.put(event.key(), id);
                        assignedUntil.put(id, Long.MAX_VALUE);
                    }
                } else if (event.key().startsWith(Keys.NODES) && !event.deleted()) {
                    String node = Keys.lastSegment(event.key());
                    if (!Objects.equals(leases.put(node, event.lease()), event.lease())) {
                        registrations.computeIfAbsent(node, n -> new ArrayList<>()).add(event.observedNanos());
                    }
                }
            }
            for (Outage outage : outages) {
                if (outage.kind() == Outage.Kind.KILLED) {
                    long registered = registrations.getOrDefault(outage.node(), List.of()).stream()
                            .filter(at -> at >= outage.toNanos()).findFirst().orElse(Long.MAX_VALUE);
                    orphanWindows.add(new OrphanWindow(outage.node(), outage.fromNanos(), registered, slack));
                }
            }
        }

        /** When the run's assignment ended: MAX while it lives, MIN if there never was one. */
        long ownedUntil(ProcessRun run) {
            return assignedUntil.getOrDefault(id(run.node(), run.taskId(), run.attempt()), Long.MIN_VALUE);
        }

        boolean orphan(String node, long at) {
            return orphanWindows.stream().anyMatch(w -> w.covers(node, at));
        }

        List<OrphanWindow> orphanWindows() {
            return orphanWindows;
        }

        private static String id(String node, String task, int attempt) {
            return node + "/" + task + "/" + attempt;
        }
    }
}
