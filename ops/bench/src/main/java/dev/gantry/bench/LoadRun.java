package dev.gantry.bench;

import dev.gantry.kv.api.etcd.KVGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One run of a workload by closed-loop clients, in three phases: warm-up (answers recorded, then
 * discarded), measurement, and drain (no new requests; the ones in flight are answered and counted).
 * Throughput is the successful answers recorded after the warm-up divided by the time from the end of
 * the warm-up to the last answer.
 */
final class LoadRun {

    static final Duration RETRY_PAUSE = Duration.ofMillis(10);

    private final BenchOptions options;
    private final Workload workload;
    private final Connections connections;
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

    LoadRun(BenchOptions options, Workload workload, Connections connections) {
        this.options = options;
        this.workload = workload;
        this.connections = connections;
        this.drained = new CountDownLatch(options.clients());
    }

    RunReport run() throws InterruptedException {
        SplittableRandom seeds = new SplittableRandom(42);
        List<ClosedLoopClient> clients = new ArrayList<>(options.clients());
        for (int i = 0; i < options.clients(); i++) {
            KVGrpc.KVFutureStub kv = KVGrpc.newFutureStub(connections.forClient(i));
            clients.add(new ClosedLoopClient(kv, workload, seeds.split(), this, options.timeout().toNanos()));
        }
        try {
            log("%s: %d clients on %d connections to %s; warm-up %s", workload.name(), options.clients(),
                    options.conns(), String.join(",", options.endpoints()), options.warmup());
            clients.forEach(ClosedLoopClient::send);
            await(options.warmup());
            recorder.interval();
            long start = System.nanoTime();
            log("%s: measuring %s", workload.name(), options.measure());
            await(options.measure());
            draining = true;
            Duration drainLimit = options.timeout().plus(RETRY_PAUSE).plusSeconds(5);
            if (!drained.await(drainLimit.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException(drained.getCount() + " clients still had a request in flight "
                        + drainLimit.toSeconds() + "s after the measurement ended");
            }
            RunReport report = RunReport.of(workload.name(), options, recorder.interval(), System.nanoTime() - start);
            if (report.errors() > 0) {
                log("%s: %d requests failed after the warm-up; all failures by status: %s",
                        workload.name(), report.errors(), recorder.failureSummary());
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

    static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, format + "%n", args);
    }
}
