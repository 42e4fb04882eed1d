package dev.gantry.it.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Polls a condition until it holds or a deadline passes. The only way the harness waits for another process:
 * there are no fixed sleeps, just a short pause between probes.
 */
public final class Await {

    /** Pause between two probes. */
    public static final Duration POLL_INTERVAL = Duration.ofMillis(100);

    private Await() {
    }

    /**
     * Probes until it returns a value, and returns that value.
     *
     * @param what    what is awaited, for the failure message ("m1 serving with a leader")
     * @param timeout the deadline, from now
     * @param probe   returns the value once the condition holds, empty before; an exception it throws counts as
     *                "not yet" unless it is a {@link Abort}, and the last one becomes the cause of the timeout
     * @param context extra text for the failure message (for example a log tail), computed only on failure
     * @throws IllegalStateException when the deadline passes or the probe aborts
     */
    public static <T> T until(String what, Duration timeout, Supplier<Optional<T>> probe, Supplier<String> context) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException lastFailure = null;
        while (true) {
            try {
                Optional<T> value = probe.get();
                if (value.isPresent()) {
                    return value.get();
                }
            } catch (Abort abort) {
                throw new IllegalStateException("gave up waiting for " + what + ": " + abort.getMessage()
                        + context(context), abort.getCause());
            } catch (RuntimeException failure) {
                lastFailure = failure;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + (lastFailure == null ? "" : "; last failure: " + lastFailure) + context(context),
                        lastFailure);
            }
            LockSupport.parkNanos(POLL_INTERVAL.toNanos());
        }
    }

    /**
     * Checks that a condition holds for a whole period (that a key is not lost, that a lock is not taken): probes it
     * every {@link #POLL_INTERVAL} until {@code period} has passed. The opposite of {@link #until}: there it is the
     * condition that ends the wait, here only a violation does.
     *
     * @param what      the condition, for the failure message ("the key present")
     * @param violation returns a description of what it saw when the condition does not hold, empty while it does;
     *                  an exception it throws ends the check (catch those that mean "cannot tell now")
     * @throws AssertionError at the first violation, with the time it was seen
     */
    public static void throughout(String what, Duration period, Supplier<Optional<String>> violation,
            Supplier<String> context) {
        long start = System.nanoTime();
        long end = start + period.toNanos();
        while (true) {
            Optional<String> seen = violation.get();
            if (seen.isPresent()) {
                throw new AssertionError("expected " + what + " for " + period.toMillis() + " ms, but after "
                        + (System.nanoTime() - start) / 1_000_000 + " ms: " + seen.get() + context(context));
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(Math.min(left, POLL_INTERVAL.toNanos()));
        }
    }

    private static String context(Supplier<String> context) {
        String text = context.get();
        return text == null || text.isEmpty() ? "" : "\n" + text;
    }

    /** Thrown by a probe to stop waiting at once: the condition can no longer become true. */
    public static final class Abort extends RuntimeException {
        public Abort(String message) {
            super(message);
        }

        public Abort(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
