package dev.gantry.bench;

import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Collects answer latencies (microseconds, 3 significant digits) and failures from all clients at once.
 * Recording is wait-free; {@link #interval()} hands over what was recorded since the last call, which is
 * how the warm-up is discarded.
 */
final class LatencyRecorder {

    private final Recorder latencies = new Recorder(3);
    private final LongAdder failures = new LongAdder();
    /** Over the whole run, warm-up included: per gRPC status code, how many, and the first one seen. */
    private final Map<Status.Code, FailureKind> failureKinds = new ConcurrentHashMap<>();

    void success(long nanos) {
        latencies.recordValue(Math.max(1, TimeUnit.NANOSECONDS.toMicros(nanos)));
    }

    void failure(Throwable error) {
        failures.increment();
        Status status = Status.fromThrowable(error);
        failureKinds.computeIfAbsent(status.getCode(), code -> new FailureKind(status, new LongAdder())).count().increment();
    }

    /** What was recorded since the previous call; recording goes on into a fresh interval. */
    Interval interval() {
        return new Interval(latencies.getIntervalHistogram(), failures.sumThenReset());
    }

    /** The failures of the whole run by status code, with the first of each: what to look at when errors are not zero. */
    String failureSummary() {
        return failureKinds.entrySet().stream()
                .map(e -> e.getKey() + " x" + e.getValue().count().sum() + " (first: " + describe(e.getValue().first()) + ")")
                .collect(Collectors.joining("; "));
    }

    private static String describe(Status status) {
        Throwable cause = status.getCause();
        return status.getDescription() + (cause != null ? ": " + cause.getMessage() : "");
    }

    /** The successful answers' latencies in microseconds, and the number of failed requests. */
    record Interval(Histogram latencies, long failures) {
    }

    private record FailureKind(Status first, LongAdder count) {
    }
}
