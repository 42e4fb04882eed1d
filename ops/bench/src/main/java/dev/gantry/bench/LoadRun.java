package dev.gantry.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One run of a workload by closed-loop clients, in three phases: warm-up (answers recorded, then
 * discarded), measurement, and drain (no new requests; the ones in flight are answered and counted).
 * Throughput is the successful answers recorded after the warm-up divided by the time from the end of
 * the warm-up to the last answer.
 *
 * <p>The clients are anything that keeps {@code slots} requests in flight in all, records each answer in
 * {@link #recorder()} and then asks {@link #answered()} whether to send another: {@link ClosedLoopClient}
 * (one slot each) or {@link KeepAliveRun}'s streams ({@code --window} slots each).
 */
final class LoadRun {

    static final Duration RETRY_PAUSE = Duration.ofMillis(10);

    private final BenchOptions options;
    private final String name;
    private final int clients;
    private final LatencyRecorder recorder = new LatencyRecorder();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "bench-retry");
        thread.setDaemon(true);
        return thread;
    });
    /** Counted down once per answer; replaced at each phase so that it reaches zero when the phase's count is met. */
    private volatile CountDownLatch phaseAnswers = new CountDownLatch(0);
    private volatile boolean draining;
    private final CountDownLatch drained;

    /**
     * {@code name}: what the results are reported under; {@code clients}: the client count reported;
     * {@code slots}: the requests the clients keep in flight in all.
     */
    LoadRun(BenchOptions options, String name, int clients, int slots) {
        this.options = options;
        this.name = name;
        this.clients = clients;
        this.drained = new CountDownLatch(slots);
    }

    /** Runs the phases; {@code firstRequests} sends the clients' first requests, {@code clientsDescribed} is for the log. */
    RunReport run(String clientsDescribed, Runnable firstRequests) throws InterruptedException {
        try {
            log("%s: %s on %d connections to %s; warm-up %s", name, clientsDescribed,
                    options.conns(), String.join(",", options.endpoints()), options.warmup());
            firstRequests.run();
            await(options.warmup());
            recorder.interval();
            long start = System.nanoTime();
            long cpuStart = cpuNanos();
            log("%s: measuring %s", name, options.measure());
            await(options.measure());
            draining = true;
            Duration drainLimit = options.timeout().plus(RETRY_PAUSE).plusSeconds(5);
            if (!drained.await(drainLimit.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException(drained.getCount() + " requests were still in flight "
                        + drainLimit.toSeconds() + "s after the measurement ended");
            }
            LatencyRecorder.Interval measured = recorder.interval();
            long elapsed = System.nanoTime() - start;
            RunReport report = RunReport.of(name, clients, options.conns(), measured.latencies(), measured.failures(),
                    elapsed, Map.of("client_cpu", (cpuNanos() - cpuStart) / (double) elapsed));
            if (report.errors() > 0) {
                log("%s: %d requests failed after the warm-up; all failures by status: %s",
                        name, report.errors(), recorder.failureSummary());
            }
            return report;
        } finally {
            retries.shutdownNow();
        }
    }

    private void await(Limit limit) throws InterruptedException {
        CountDownLatch answers = new CountDownLatch(limit.isTime() ? Integer.MAX_VALUE : limit.answers());
        phaseAnswers = answers;
        if (limit.isTime()) {
            answers.await(limit.time().toNanos(), TimeUnit.NANOSECONDS);
        } else {
            answers.await();  // every request ends within its deadline, so answers keep coming
        }
    }

    LatencyRecorder recorder() {
        return recorder;
    }

    /** Called by a client for each answer, after recording it: true if the client should send another request. */
    boolean answered() {
        phaseAnswers.countDown();
        if (draining) {
            drained.countDown();
            return false;
        }
        return true;
    }

    /** Runs {@code send} after {@link #RETRY_PAUSE}. */
    void later(Runnable send) {
        retries.schedule(send, RETRY_PAUSE.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * CPU time this JVM used so far, all threads: {@code client_cpu} in the reports is its increase over the
     * measurement divided by the measurement's duration, the cores the client kept busy on average.
     */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, format + "%n", args);
    }
}
