package dev.gantry.reliability.check;

import dev.gantry.reliability.history.WatchEvent;
import dev.gantry.reliability.history.WatchLog;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * etcd's watch guarantees, per watcher, against the reference history (every event of the watched prefix, read
 * after the run with a watch from revision 1 on a healed cluster, and itself checked against the acknowledged writes
 * by {@link LostWriteChecker}): events in revision order, none twice, none missing between the watcher's start and
 * the last event it saw, each equal to the reference's, all events of one revision in one response; across
 * resumptions the same holds (resumable); and by the end every watcher has caught up with the reference.
 * A watch asked from a compacted revision must be cancelled with the compaction revision ({@link #checkCancel}).
 */
public final class WatchChecker {

    public static final String NAME = "watch";
    private static final int MAX_PER_WATCHER = 5;

    public List<Anomaly> check(List<WatchEvent> reference, List<WatchLog> watchers) {
        Map<String, WatchEvent> byRevisionKey = new HashMap<>();
        reference.forEach(e -> byRevisionKey.put(e.revision() + "/" + e.key(), e));
        long finalRevision = reference.isEmpty() ? 0 : reference.getLast().revision();
        List<Anomaly> anomalies = new ArrayList<>();
        for (WatchLog watcher : watchers) {
            List<String> found = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            Map<Long, Integer> responseOfRevision = new HashMap<>();
            long last = 0;
            List<List<WatchEvent>> responses = watcher.responses();
            for (int r = 0; r < responses.size(); r++) {
                for (WatchEvent event : responses.get(r)) {
                    String id = event.revision() + "/" + event.key();
                    if (event.revision() < last) {
                        found.add("out of order: " + event + " after an event of rev " + last);
                    }
                    if (!seen.add(id)) {
                        found.add("duplicate: " + event + " delivered twice");
                    }
                    Integer earlier = responseOfRevision.putIfAbsent(event.revision(), r);
                    if (earlier != null && earlier != r) {
                        found.add("not atomic: the events of rev " + event.revision() + " came in two responses ("
                                + earlier + " and " + r + ")");
                    }
                    WatchEvent expected = byRevisionKey.get(id);
                    if (expected == null) {
                        found.add("unknown event: " + event + " is not in the history");
                    } else if (!expected.equals(event)) {
                        found.add("wrong event: got " + event + ", the history has " + expected);
                    }
                    if (event.revision() < watcher.startRevision()) {
                        found.add("event below the start revision " + watcher.startRevision() + ": " + event);
                    }
                    last = Math.max(last, event.revision());
                }
            }
            for (WatchEvent event : reference) {
                if (event.revision() >= watcher.startRevision() && event.revision() <= last
                        && !seen.contains(event.revision() + "/" + event.key())) {
                    found.add("gap: missed " + event + " (saw events up to rev " + last + ")");
                }
            }
            if (last < finalRevision) {
                found.add("stalled: saw events up to rev " + last + ", the history goes to rev " + finalRevision);
            }
            if (!found.isEmpty()) {
                anomalies.add(new Anomaly(NAME, "watcher " + watcher.name() + " (from rev " + watcher.startRevision()
                        + ", " + watcher.resumptions() + " resumptions): " + found.size() + " problem(s): "
                        + String.join("; ", found.subList(0, Math.min(MAX_PER_WATCHER, found.size())))));
            }
        }
        return anomalies;
    }

    /**
     * A watch created from {@code requested} below the compaction revision {@code compacted} on {@code member}: it
     * must be cancelled and name the compaction revision, never silently start later.
     */
    public List<Anomaly> checkCancel(String member, long requested, long compacted, boolean canceled,
            long reportedCompactRevision, List<WatchEvent> eventsBeforeCancel) {
        if (canceled && reportedCompactRevision == compacted && eventsBeforeCancel.isEmpty()) {
            return List.of();
        }
        return List.of(new Anomaly(NAME, "watch on " + member + " from compacted rev " + requested
                + " (compacted at " + compacted + "): expected a cancel with compact_revision " + compacted + ", got "
                + (canceled ? "a cancel with compact_revision " + reportedCompactRevision : "no cancel")
                + (eventsBeforeCancel.isEmpty() ? "" : " after events " + eventsBeforeCancel)));
    }
}
