package dev.gantry.reliability.jobs.workload;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.gantry.reliability.jobs.history.Cancel;
import dev.gantry.reliability.jobs.history.JobKind;
import dev.gantry.reliability.jobs.history.Submission;

/**
 * The users: a job every 0.4–1.2 s through the REST API, of a random {@link JobKind} (40 % that succeed, 15 % that
 * fail, 20 % that report progress, 25 % long ones), asking 0 (20 %), 1 (50 %) or 2 GPUs (30 %), with
 * {@code maxRetries} 5, or 0 for 15 % of them (so a lost node fails them); and cancels: 60 % of the long jobs 1–8 s
 * after their submit, 10 % of the others within 3 s. Every submit and cancel is recorded with its outcome.
 */
final class Submitter implements Runnable {
    private final JobsApi api;
    private final String run;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final ScheduledExecutorService cancelling = Executors.newScheduledThreadPool(2, r -> {
        Thread thread = new Thread(r, "cancels");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicInteger count = new AtomicInteger();
    private final ConcurrentLinkedQueue<Submission> submissions = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Cancel> cancels = new ConcurrentLinkedQueue<>();

    Submitter(JobsApi api, String run) {
        this.api = api;
        this.run = run;
    }

    @Override
    public void run() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try {
            while (!stop.await(random.nextLong(400, 1200), TimeUnit.MILLISECONDS)) {
                int roll = random.nextInt(100);
                JobKind kind = roll < 40 ? JobKind.SUCCEEDS : roll < 55 ? JobKind.FAILS : roll < 75 ? JobKind.PROGRESS
                        : JobKind.LONG;
                roll = random.nextInt(100);
                int gpus = roll < 20 ? 0 : roll < 70 ? 1 : 2;
                Optional<String> id = submit(kind, gpus, random.nextInt(100) < 15 ? 0 : 5);
                double cancelShare = kind == JobKind.LONG ? 0.6 : 0.1;
                if (id.isPresent() && random.nextDouble() < cancelShare) {
                    long delay = kind == JobKind.LONG ? random.nextLong(1000, 8000) : random.nextLong(3000);
                    cancelling.schedule(() -> cancel(id.get()), delay, TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Submits one job; its id, or empty when the outcome is unknown. */
    Optional<String> submit(JobKind kind, int gpus, int maxRetries) {
        String name = kind.name().toLowerCase().replace('_', '-') + "-" + run + "-" + count.incrementAndGet();
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("gpus", gpus);
        if (gpus > 0) {
            resources.put("gpuModel", "H100");
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", name);
        spec.put("command", kind.command());
        spec.put("resources", resources);
        spec.put("maxRetries", maxRetries);
        spec.put("priority", ThreadLocalRandom.current().nextInt(40, 61));
        long at = System.nanoTime();
        Optional<String> id = api.submit(spec);
        submissions.add(new Submission(name, kind, gpus, maxRetries, id.orElse(null), at));
        return id;
    }

    private void cancel(String id) {
        long at = System.nanoTime();
        cancels.add(new Cancel(id, api.cancel(id), at));
    }

    /** Stops submitting and drops the cancels not sent yet; waits for one being sent. */
    void stop() {
        stop.countDown();
        cancelling.shutdownNow();
        try {
            cancelling.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    List<Submission> submissions() {
        return List.copyOf(submissions);
    }

    List<Cancel> cancels() {
        return List.copyOf(cancels);
    }
}
