package dev.gantry.reliability.workload;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
    private final List<List<String>> generations = new CopyOnWriteArrayList<>();

    KeyGenerations(String prefix, int keysPerGeneration, Duration period) {
        this.prefix = prefix;
        this.keysPerGeneration = keysPerGeneration;
        this.periodNanos = period.toNanos();
    }

    /** The keys of the current period. */
    List<String> current() {
        int generation = (int) ((System.nanoTime() - start) / periodNanos);
        synchronized (generations) {
            while (generations.size() <= generation) {
                int g = generations.size();
                generations.add(IntStream.range(0, keysPerGeneration).mapToObj(i -> prefix + "g" + g + "-k" + i).toList());
            }
        }
        return generations.get(generation);
    }

    /** Every key handed out so far. */
    List<String> all() {
        return generations.stream().flatMap(List::stream).toList();
    }
}
