package dev.gantry.kv.metrics;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Prometheus histogram of durations in seconds: a count per bucket, and the sum, as etcd's client library
 * keeps them, so that {@code histogram_quantile} over etcd's metric names works unchanged. Observations
 * are lock-free; a {@link #snapshot()} taken during one may count it in a bucket but not yet in the sum.
 */
public final class Histogram {
    private final double[] upperBounds;
    /** One more than the bounds: the last counts what exceeds them all ({@code le="+Inf"}). */
    private final LongAdder[] counts;
    private final DoubleAdder sum = new DoubleAdder();

    private Histogram(double[] upperBounds) {
        this.upperBounds = upperBounds;
        this.counts = new LongAdder[upperBounds.length + 1];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    /** Buckets {@code start × factor^i} for i in [0, count), as Prometheus's {@code ExponentialBuckets}. */
    public static Histogram exponential(double start, double factor, int count) {
        double[] bounds = new double[count];
        for (int i = 0; i < count; i++) {
            bounds[i] = start * Math.pow(factor, i);
        }
        return new Histogram(bounds);
    }

    public void observeNanos(long nanos) {
        observe(nanos / (double) TimeUnit.SECONDS.toNanos(1));
    }

    public void observe(double seconds) {
        int bucket = 0;
        while (bucket < upperBounds.length && seconds > upperBounds[bucket]) {
            bucket++;
        }
        counts[bucket].increment();
        sum.add(seconds);
    }

    public Snapshot snapshot() {
        long[] cumulative = new long[counts.length];
        long running = 0;
        for (int i = 0; i < counts.length; i++) {
            running += counts[i].sum();
            cumulative[i] = running;
        }
        return new Snapshot(upperBounds.clone(), cumulative, sum.sum());
    }

    /**
     * The histogram at one moment: {@code cumulativeCounts[i]} observations were at most {@code upperBounds[i]};
     * the last entry, one past the bounds, is the total count.
     */
    public record Snapshot(double[] upperBounds, long[] cumulativeCounts, double sum) {
        public long count() {
            return cumulativeCounts[cumulativeCounts.length - 1];
        }
    }
}
