package dev.gantry.reliability.history;

/**
 * One completed (or abandoned) client operation on a single-key register, as the checkers see it.
 *
 * <p>Every operation observes the value before it, so that the history pins the order down: a get its result, a put
 * and a delete their {@code prev_kv}, a CAS the value it compared (success) or the value it read instead (failure).
 * Values are unique per write, so an observed value names the write that made it.
 *
 * @param process  the client that ran it
 * @param type     what it was
 * @param key      the register
 * @param value    the value written (put, CAS); null for get and delete
 * @param expected the value a CAS compared against; null means "absent" (create-if-absent)
 * @param observed the value seen before the operation (see above); null means absent. Meaningless when not OK
 * @param succeeded for a CAS: whether the compare held
 * @param invokeNanos   System.nanoTime() when the request was sent
 * @param completeNanos System.nanoTime() when the answer came; {@link Long#MAX_VALUE} when the outcome is unknown
 * @param outcome  OK, FAIL (it certainly did not take effect) or UNKNOWN (it may have, at any time after invoke)
 * @param revision the response header's revision (0 when there is none)
 * @param member   the member it was sent to, for explanations
 */
public record Op(int process, OpType type, String key, String value, String expected, String observed,
        boolean succeeded, long invokeNanos, long completeNanos, Outcome outcome, long revision, String member) {

    public static final long NEVER = Long.MAX_VALUE;

    public boolean isWrite() {
        return type != OpType.GET;
    }

    public boolean ok() {
        return outcome == Outcome.OK;
    }

    /** A short human form, e.g. {@code p3 CAS k2 "p1-7"->"p3-12" ok(failed, saw "p2-4") @m1 [12.301s..12.350s] rev 88}. */
    public String describe(long originNanos) {
        StringBuilder s = new StringBuilder("p").append(process).append(' ').append(type).append(' ').append(key);
        switch (type) {
            case PUT -> s.append(" := ").append(quote(value));
            case CAS -> s.append(" if ").append(quote(expected)).append(" := ").append(quote(value));
            default -> { }
        }
        s.append(' ').append(outcome.name().toLowerCase());
        if (outcome == Outcome.OK) {
            if (type == OpType.CAS) {
                s.append(succeeded ? "(succeeded)" : "(failed, saw " + quote(observed) + ")");
            } else {
                s.append("(saw ").append(quote(observed)).append(')');
            }
        }
        s.append(" @").append(member).append(" [").append(seconds(invokeNanos, originNanos)).append("..")
                .append(completeNanos == NEVER ? "?" : seconds(completeNanos, originNanos)).append(']');
        if (revision > 0) {
            s.append(" rev ").append(revision);
        }
        return s.toString();
    }

    static String quote(String value) {
        return value == null ? "absent" : "\"" + value + "\"";
    }

    static String seconds(long nanos, long originNanos) {
        return String.format("%.3fs", (nanos - originNanos) / 1e9);
    }
}
