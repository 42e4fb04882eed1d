package dev.gantry.reliability.check;

import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.Op;
import dev.gantry.reliability.history.OpType;
import dev.gantry.reliability.history.Outcome;

/** Hand-written histories on key "k": times in ticks (any unit), observed values as the model defines them. */
final class Ops {
    private Ops() {
    }

    static Op get(int p, long inv, long comp, String saw) {
        return new Op(p, OpType.GET, "k", null, null, saw, false, inv, comp, Outcome.OK, 0, "m1");
    }

    static Op put(int p, long inv, long comp, String value, String prev) {
        return new Op(p, OpType.PUT, "k", value, null, prev, false, inv, comp, Outcome.OK, 0, "m1");
    }

    static Op putUnknown(int p, long inv, String value) {
        return new Op(p, OpType.PUT, "k", value, null, null, false, inv, Op.NEVER, Outcome.UNKNOWN, 0, "m1");
    }

    static Op delete(int p, long inv, long comp, String prev) {
        return new Op(p, OpType.DELETE, "k", null, null, prev, false, inv, comp, Outcome.OK, 0, "m1");
    }

    static Op cas(int p, long inv, long comp, String expected, String value) {
        return new Op(p, OpType.CAS, "k", value, expected, expected, true, inv, comp, Outcome.OK, 0, "m1");
    }

    static Op casFailed(int p, long inv, long comp, String expected, String value, String saw) {
        return new Op(p, OpType.CAS, "k", value, expected, saw, false, inv, comp, Outcome.OK, 0, "m1");
    }

    static History history(Op... ops) {
        History history = new History();
        for (Op op : ops) {
            history.add(op);
        }
        return history;
    }
}
