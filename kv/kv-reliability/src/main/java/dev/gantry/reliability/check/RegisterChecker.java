package dev.gantry.reliability.check;

import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.Op;
import dev.gantry.reliability.history.OpType;
import dev.gantry.reliability.history.Outcome;
import dev.gantry.reliability.history.WatchEvent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Linearizability of single-key registers with get, put, delete and compare-and-set: the Wing–Gong search with
 * Lowe's memoization (as in Porcupine), one key at a time (linearizability is compositional, so per-key histories
 * are checked independently and stay small).
 *
 * <p>Operations with an unknown outcome may take effect at any time after their invocation, or never: their return
 * is at infinity, and once every operation with a known outcome is placed the rest are taken as never having
 * happened. An unknown write whose value no operation ever observed is dropped before the search: since every
 * operation observes the value before it (see {@link Op}), such a write can always be placed last, which is the
 * same as never. Unknown and failed reads say nothing and are dropped.
 *
 * <p>The search is bounded ({@code maxSteps} per key, and the memo's size): a pathological history is reported as
 * too complex instead of hanging the build.
 */
public final class RegisterChecker {

    public static final String NAME = "linearizability";
    public static final String UNDECIDED = "linearizability-undecided";
    public static final long DEFAULT_MAX_STEPS = 20_000_000;
    private static final int MAX_MEMO = 2_000_000;
    private static final int CONTEXT_OPS = 6;

    private final long maxSteps;

    public RegisterChecker() {
        this(DEFAULT_MAX_STEPS);
    }

    public RegisterChecker(long maxSteps) {
        this.maxSteps = maxSteps;
    }

    /** As {@link #check(History, List)} without a reference history: unknown writes stay open forever. */
    public List<Anomaly> check(History history) {
        return check(history, null);
    }

    /**
     * One anomaly per key whose history is not linearizable, or that was too complex to decide. With the
     * {@code reference} history (every event of the keys, in revision order, read after the run) unknown writes are
     * resolved as etcd's robustness suite does: a put or CAS whose unique value is not in it never happened and is
     * dropped; one that is happened, no later than the first completion of an operation whose header revision is at
     * least the event's. Unknown deletes are bounded likewise when the reference holds delete events no acknowledged
     * delete accounts for, and dropped when it holds none.
     */
    public List<Anomaly> check(History history, List<WatchEvent> reference) {
        List<Anomaly> anomalies = new ArrayList<>();
        Map<String, List<Op>> byKey = reference == null ? history.byKey() : Resolution.resolve(history, reference);
        new TreeMap<>(byKey).forEach((key, ops) -> {
            Verdict verdict = checkKey(key, ops, history.originNanos());
            if (!verdict.linearizable()) {
                anomalies.add(new Anomaly(verdict.undecided() ? UNDECIDED : NAME, verdict.explanation()));
            }
        });
        return anomalies;
    }

    /** The verdict on one key's operations. */
    public record Verdict(boolean linearizable, boolean undecided, String explanation) {
    }

    public Verdict checkKey(String key, List<Op> all, long origin) {
        List<Op> ops = relevant(all);
        Search search = new Search(ops);
        Boolean ok = search.run();
        if (ok == null) {
            return new Verdict(false, true, "key " + key + ": too complex to decide (" + ops.size()
                    + " operations, search stopped after " + search.steps + " steps, memo " + search.memo.size() + ")");
        }
        if (ok) {
            return new Verdict(true, false, "");
        }
        return new Verdict(false, false, search.explain(key, origin));
    }

    /** OK operations, and unknown writes that some operation observed (see the class comment). */
    static List<Op> relevant(List<Op> all) {
        Set<String> observed = new HashSet<>();
        for (Op op : all) {
            if (op.ok()) {
                observed.add(op.observed());
            }
            if (op.type() == OpType.CAS) {
                observed.add(op.expected()); // an unknown CAS that took effect depended on this value
            }
        }
        List<Op> kept = new ArrayList<>();
        for (Op op : all) {
            boolean keep = switch (op.outcome()) {
                case OK -> true;
                case FAIL -> false;
                case UNKNOWN -> op.type() == OpType.DELETE
                        || (op.isWrite() && observed.contains(op.value()));
            };
            if (keep) {
                kept.add(op);
            }
        }
        return kept;
    }

    /**
     * The register's possible next states after {@code op} from {@code state} (none: illegal there). Null is
     * "absent". An operation with an unknown outcome took effect or did not: two candidates.
     */
    static List<String> step(String state, Op op) {
        if (op.outcome() == Outcome.UNKNOWN) {
            String applied = switch (op.type()) {
                case PUT -> op.value();
                case DELETE -> null;
                case CAS -> Objects.equals(state, op.expected()) ? op.value() : state;
                case GET -> state;
            };
            return Objects.equals(applied, state)
                    ? java.util.Collections.singletonList(applied) : java.util.Arrays.asList(applied, state);
        }
        Object next = switch (op.type()) {
            case GET -> Objects.equals(state, op.observed()) ? state : ILLEGAL;
            case PUT -> Objects.equals(state, op.observed()) ? op.value() : ILLEGAL;
            case DELETE -> Objects.equals(state, op.observed()) ? null : ILLEGAL;
            case CAS -> op.succeeded()
                    ? (Objects.equals(state, op.expected()) ? op.value() : ILLEGAL)
                    : (Objects.equals(state, op.observed()) && !Objects.equals(state, op.expected()) ? state : ILLEGAL);
        };
        return next == ILLEGAL ? List.of() : java.util.Collections.singletonList((String) next);
    }

    static final Object ILLEGAL = new Object();

    /** A call or return event in the doubly linked list the search lifts entries out of. */
    private static final class Entry {
        final int id;
        final boolean call;
        final long time;
        final Op op;
        Entry match;
        Entry prev;
        Entry next;

        Entry(int id, boolean call, long time, Op op) {
            this.id = id;
            this.call = call;
            this.time = time;
            this.op = op;
        }
    }

    private record Frame(Entry entry, String stateBefore, int choice) {
    }

    private record Memo(BitSet linearized, String state) {
    }

    private final class Search {
        final List<Op> ops;
        final Entry head = new Entry(-1, false, Long.MIN_VALUE, null);
        final Set<Memo> memo = new HashSet<>();
        long steps;
        // The deepest partial linearization, for the explanation.
        int bestDepth = -1;
        List<Op> bestTail = List.of();
        String bestState;
        Op blocked;
        List<Op> blockedAlternatives = List.of();

        Search(List<Op> ops) {
            this.ops = ops;
            List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                Entry call = new Entry(i, true, op.invokeNanos(), op);
                Entry ret = new Entry(i, false, op.completeNanos(), op);
                call.match = ret;
                entries.add(call);
                entries.add(ret);
            }
            // At equal times calls go first: the operations are then taken as concurrent (the lenient reading).
            entries.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> !e.call));
            Entry last = head;
            for (Entry e : entries) {
                last.next = e;
                e.prev = last;
                last = e;
            }
        }

        /** True: linearizable; false: not; null: gave up. */
        Boolean run() {
            Deque<Frame> stack = new ArrayDeque<>();
            BitSet linearized = new BitSet(ops.size());
            String state = null;
            Entry entry = head.next;
            int firstChoice = 0; // on backtracking, the next candidate state of the same operation
            while (head.next != null) {
                if (++steps > maxSteps || memo.size() > MAX_MEMO) {
                    return null;
                }
                if (entry.call) {
                    List<String> candidates = step(state, entry.op);
                    boolean placed = false;
                    for (int choice = firstChoice; choice < candidates.size() && !placed; choice++) {
                        String next = candidates.get(choice);
                        BitSet after = (BitSet) linearized.clone();
                        after.set(entry.id);
                        if (memo.add(new Memo(after, next))) {
                            stack.push(new Frame(entry, state, choice));
                            state = next;
                            linearized = after;
                            lift(entry);
                            placed = true;
                        }
                    }
                    firstChoice = 0;
                    entry = placed ? head.next : entry.next;
                } else {
                    if (entry.time == Op.NEVER) {
                        return true; // every operation with a known outcome is placed; the rest never happened
                    }
                    if (stack.size() > bestDepth) {
                        remember(stack, state, entry);
                    }
                    if (stack.isEmpty()) {
                        return false;
                    }
                    Frame top = stack.pop();
                    state = top.stateBefore();
                    linearized.clear(top.entry().id);
                    unlift(top.entry());
                    entry = top.entry();
                    firstChoice = top.choice() + 1;
                }
            }
            return true;
        }

        private void remember(Deque<Frame> stack, String state, Entry blockedReturn) {
            bestDepth = stack.size();
            List<Op> tail = new ArrayList<>();
            for (Frame frame : stack) { // the stack iterates from its top: the latest first
                if (tail.size() == CONTEXT_OPS) {
                    break;
                }
                tail.add(0, frame.entry().op);
            }
            bestTail = tail;
            bestState = state;
            blocked = blockedReturn.op;
            List<Op> alternatives = new ArrayList<>();
            for (Entry e = head.next; e != null && e != blockedReturn && alternatives.size() < CONTEXT_OPS; e = e.next) {
                if (e.call && e.op != blocked) {
                    alternatives.add(e.op);
                }
            }
            blockedAlternatives = alternatives;
        }

        String explain(String key, long origin) {
            StringBuilder s = new StringBuilder("key ").append(key).append(": not linearizable (")
                    .append(ops.size()).append(" operations). The longest linearization found places ")
                    .append(bestDepth).append(" of them, ending with:");
            bestTail.forEach(op -> s.append("\n    ").append(op.describe(origin)));
            s.append("\n  after which the register holds ").append(bestState == null ? "absent" : "\"" + bestState + "\"")
                    .append(", and this operation, which must take effect before it returned, cannot:\n    ")
                    .append(blocked.describe(origin));
            if (!blockedAlternatives.isEmpty()) {
                s.append("\n  nor does placing first any of the operations still open before its return, e.g.:");
                blockedAlternatives.forEach(op -> s.append("\n    ").append(op.describe(origin)));
            }
            return s.toString();
        }

        private void lift(Entry e) {
            e.prev.next = e.next;
            e.next.prev = e.prev;
            Entry m = e.match;
            m.prev.next = m.next;
            if (m.next != null) {
                m.next.prev = m.prev;
            }
        }

        private void unlift(Entry e) {
            Entry m = e.match;
            m.prev.next = m;
            if (m.next != null) {
                m.next.prev = m;
            }
            e.prev.next = e;
            e.next.prev = e;
        }
    }
}
