package dev.gantry.reliability.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

/** The register operations of a run, recorded by any number of client threads. */
public final class History {

    private final long originNanos = System.nanoTime();
    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();

    public void add(Op op) {
        ops.add(op);
    }

    /** Where times in explanations count from (the history's creation). */
    public long originNanos() {
        return originNanos;
    }

    public List<Op> ops() {
        List<Op> all = new ArrayList<>(ops);
        all.sort(Comparator.comparingLong(Op::invokeNanos));
        return all;
    }

    public Map<String, List<Op>> byKey() {
        return ops().stream().collect(Collectors.groupingBy(Op::key));
    }

    public long count(Outcome outcome) {
        return ops.stream().filter(op -> op.outcome() == outcome).count();
    }
}
