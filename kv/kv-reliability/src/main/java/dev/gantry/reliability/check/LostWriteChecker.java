package dev.gantry.reliability.check;

import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.Op;
import dev.gantry.reliability.history.OpType;
import dev.gantry.reliability.history.WatchEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * No acknowledged write lost: every write a client saw succeed is in the reference history (read after healing),
 * at the revision its response named, with its value. A put or a successful CAS must be a PUT event of its value; a
 * delete that reported a deleted key a DELETE event.
 */
public final class LostWriteChecker {

    public static final String NAME = "lost-write";
    private static final int MAX_REPORTED = 10;

    public List<Anomaly> check(History history, List<WatchEvent> reference) {
        Map<String, WatchEvent> byRevisionKey = new HashMap<>();
        reference.forEach(e -> byRevisionKey.put(e.revision() + "/" + e.key(), e));
        List<Anomaly> anomalies = new ArrayList<>();
        for (Op op : history.ops()) {
            if (!op.ok() || op.revision() == 0) {
                continue;
            }
            WatchEvent expected;
            if (op.type() == OpType.PUT || (op.type() == OpType.CAS && op.succeeded())) {
                expected = new WatchEvent(op.revision(), op.key(), false, op.value());
            } else if (op.type() == OpType.DELETE && op.observed() != null) {
                expected = new WatchEvent(op.revision(), op.key(), true, null);
            } else {
                continue;
            }
            WatchEvent actual = byRevisionKey.get(expected.revision() + "/" + expected.key());
            if (!expected.equals(actual) && anomalies.size() < MAX_REPORTED) {
                anomalies.add(new Anomaly(NAME, "acknowledged " + op.describe(history.originNanos())
                        + " is not in the history: expected " + expected + ", found "
                        + (actual == null ? "nothing" : actual)));
            }
        }
        return anomalies;
    }
}
