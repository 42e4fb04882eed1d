package dev.gantry.reliability.workload;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** The waits of a run's own thread (the traffic period, its actors ending) that an interrupt still ends. */
public final class Waits {
    private static final Duration JOIN_LIMIT = Duration.ofSeconds(120);

    private Waits() {
    }

    /** Lets {@code duration} pass: a wait on a latch nobody counts down. */
    public static void quietly(Duration duration) {
        try {
            new CountDownLatch(1).await(duration.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Holds a fault for a random time in [minMillis, maxMillis): its length, not a synchronisation. */
    public static void hold(int minMillis, int maxMillis) {
        quietly(Duration.ofMillis(ThreadLocalRandom.current().nextInt(minMillis, maxMillis)));
    }

    /** Holds a fault until {@code deadlineNanos} ({@link System#nanoTime()}), when it must last at least that long. */
    public static void holdUntil(long deadlineNanos) {
        quietly(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())));
    }

    /** Waits for an actor's thread to end, for two minutes at most. */
    public static void join(Thread thread) {
        try {
            thread.join(JOIN_LIMIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
