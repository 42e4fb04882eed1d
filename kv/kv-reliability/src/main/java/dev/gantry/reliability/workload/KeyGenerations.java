package dev.gantry.reliability.workload;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * The register keys the clients work on, a fresh set every {@code period}: each key's history then spans one
 * period however long the run, and the linearizability search stays within its bounds in a soak. (A 10-minute run
 * on one set of 24 keys gave three keys ~2,200 operations each, past the search bound: "too complex to decide",
 * not a violation, but a run that decides nothing about them.)
 */
final class KeyGenerations {
    private final String prefix;
    private final int keysPerGeneration;
    private final long periodNanos;
    private final long start = System.nanoTime();
    private final AtomicInteger latest = new AtomicInteger();

    KeyGenerations(String prefix, int keysPerGeneration, Duration period) {
        this.prefix = prefix;
        this.keysPerGeneration = keysPerGeneration;
        this.periodNanos = period.toNanos();
    }

    /** The keys of the current period. */
    List<String> current() {
        int generation = (int) ((System.nanoTime() - start) / periodNanos);
        latest.accumulateAndGet(generation, Math::max);
        return keys(generation);
    }

    /** Every key handed out so far. */
    List<String> all() {
        return IntStream.rangeClosed(0, latest.get()).boxed().flatMap(g -> keys(g).stream()).toList();
    }

    private List<String> keys(int generation) {
        return IntStream.range(0, keysPerGeneration).mapToObj(i -> prefix + "g" + generation + "-k" + i).toList();
    }
}
