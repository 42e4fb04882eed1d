package dev.gantry.reliability.check;

import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.Op;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Revisions never go backwards: on each member, across its restarts (a monitor asks each member its Status in turn,
 * so its samples are ordered), and across the cluster for linearizable operations (if A completed before B was
 * invoked, B's header revision is at least A's).
 */
public final class RevisionChecker {

    public static final String NAME = "revision";

    /** {@code samples}: per member ID, the header revisions a sequential poller saw, in order. */
    public List<Anomaly> checkMembers(Map<String, List<Long>> samples) {
        List<Anomaly> anomalies = new ArrayList<>();
        samples.forEach((member, revisions) -> {
            for (int i = 1; i < revisions.size(); i++) {
                if (revisions.get(i) < revisions.get(i - 1)) {
                    anomalies.add(new Anomaly(NAME, "member " + member + " went back from rev " + revisions.get(i - 1)
                            + " to rev " + revisions.get(i) + " (sample " + i + " of " + revisions.size() + ")"));
                    return;
                }
            }
        });
        return anomalies;
    }

    /** The real-time order of linearizable operations must not contradict their header revisions. */
    public List<Anomaly> checkRealTime(History history) {
        List<Op> ops = history.ops().stream().filter(op -> op.ok() && op.revision() > 0).toList();
        List<Op> byCompletion = new ArrayList<>(ops);
        byCompletion.sort(Comparator.comparingLong(Op::completeNanos));
        List<Anomaly> anomalies = new ArrayList<>();
        int completed = 0;
        Op highest = null;
        for (Op op : ops) { // by invocation
            while (completed < byCompletion.size() && byCompletion.get(completed).completeNanos() < op.invokeNanos()) {
                Op done = byCompletion.get(completed++);
                if (highest == null || done.revision() > highest.revision()) {
                    highest = done;
                }
            }
            if (highest != null && op.revision() < highest.revision()) {
                anomalies.add(new Anomaly(NAME, "revision went backwards in real time: "
                        + op.describe(history.originNanos()) + " started after "
                        + highest.describe(history.originNanos()) + " had completed"));
                if (anomalies.size() >= 5) {
                    break;
                }
            }
        }
        return anomalies;
    }
}
