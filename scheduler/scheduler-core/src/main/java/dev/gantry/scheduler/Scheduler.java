package dev.gantry.scheduler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Node;
import dev.gantry.job.NodeState;
import dev.gantry.job.Task;
import dev.gantry.kv.client.Informer;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.KvException;
import dev.gantry.kv.client.LeaderElection;
import dev.gantry.kv.client.Txn;
import dev.gantry.scheduler.placement.Decision;
import dev.gantry.scheduler.placement.NodeCapacity;
import dev.gantry.scheduler.placement.Placement;
import dev.gantry.scheduler.placement.Request;

/**
 * Gantry's scheduler: one runs in every {@code gantry server}; the one elected through
 * {@code /election/scheduler} acts (docs/scheduler.md).
 *
 * <p>Informers keep {@code /tasks/}, {@code /nodes/} and {@code /config/nodes/} in memory. Any change wakes
 * the loop (and it wakes every second regardless); each pass builds a {@link ClusterView}, requeues the tasks
 * of lost nodes, places the pending queue in order ({@link Placement}), commits the claims — one txn per node,
 * nodes in parallel ({@link Claims}) — and then writes the pending reasons that changed. A claim that loses a
 * race writes nothing; its tasks are simply decided again in the next pass, from fresher state.
 */
public final class Scheduler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Scheduler.class);
    /** Passes run on every change; this bounds how long a missed wake-up could go unnoticed. */
    private static final Duration RESYNC = Duration.ofSeconds(1);
    private static final int REASONS_PER_TXN = 32;

    /**
     * @param name               this replica's name, the election key's value
     * @param elected            false only in tests: schedule without being elected, so that only the CAS protects
     * @param electionTtlSeconds the election lease's TTL: a dead leader is replaced within about this long
     * @param concurrentTxns     claim and reason txns in flight at once
     */
    public record Options(String name, boolean elected, long electionTtlSeconds, int concurrentTxns) {
        public static final long DEFAULT_ELECTION_TTL_SECONDS = 5;

        public static Options defaults(String name) {
            return new Options(name, true, DEFAULT_ELECTION_TTL_SECONDS, 64);
        }

        public Options withElection(boolean on) {
            return new Options(name, on, electionTtlSeconds, concurrentTxns);
        }
    }

    private final KvClient client;
    private final Options options;
    private final SchedulerMetrics metrics = new SchedulerMetrics();
    private final OwnWrites own = new OwnWrites();
    private final Claims claims;
    private final FailoverController failover;
    /** Node → revision of this scheduler's latest claim there: what it knows that node's assignments up to. */
    private final Map<String, Long> lastClaim = new ConcurrentHashMap<>();
    private final Semaphore wake = new Semaphore(0);
    private final Semaphore inFlight;
    private final ExecutorService txns = Executors.newVirtualThreadPerTaskExecutor();
    private final Thread loop;
    private volatile boolean closed;
    private volatile boolean reconcile = true;
    private Informer<Task> tasks;
    private Informer<Node> nodes;
    private Informer<NodeState> nodeStates;
    private volatile LeaderElection election;

    private Scheduler(KvClient client, Options options) {
        this.client = client;
        this.options = options;
        this.claims = new Claims(client);
        this.failover = new FailoverController(client, own, metrics);
        this.inFlight = new Semaphore(options.concurrentTxns());
        this.loop = Thread.ofPlatform().name("scheduler").daemon().unstarted(this::run);
    }

    /** Starts the scheduler in the background: it connects, campaigns and schedules on its own thread. */
    public static Scheduler start(KvClient client, Options options) {
        Scheduler scheduler = new Scheduler(client, options);
        scheduler.loop.start();
        return scheduler;
    }

    public SchedulerMetrics metrics() {
        return metrics;
    }

    private void run() {
        while (!closed && !startWatching()) {
            pause(Duration.ofSeconds(1));
        }
        if (options.elected() && !closed) {
            election = new LeaderElection(client, Keys.SCHEDULER_ELECTION, options.name(), options.electionTtlSeconds(),
                    new LeaderElection.Listener() {
                        @Override
                        public void elected(LeaderElection e) {
                            LOG.infof("scheduler %s elected: scheduling", options.name());
                            reconcile = true;
                            wake();
                        }

                        @Override
                        public void defeated(String why) {
                            LOG.infof("scheduler %s no longer leads (%s): standing by", options.name(), why);
                        }
                    }).start();
        }
        while (!closed) {
            try {
                wake.tryAcquire(RESYNC.toMillis(), TimeUnit.MILLISECONDS);
                wake.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
            Fence fence = fence();
            metrics.leading(fence != null);
            if (fence == null || closed) {
                continue;
            }
            try {
                pass(fence);
            } catch (RuntimeException e) {
                LOG.warnf(e, "scheduling pass failed; retrying");
                pause(Duration.ofMillis(200));
            }
        }
    }

    private boolean startWatching() {
        try {
            tasks = new Informer<>(client, Keys.TASKS, v -> Json.read(v, Task.class)).addListener((k, b, a) -> {
                metrics.taskChanged(b == null ? null : b.value(), a == null ? null : a.value());
                wake();
            }).start();
            nodes = new Informer<>(client, Keys.NODES, v -> Json.read(v, Node.class)).addListener((k, b, a) -> wake()).start();
            nodeStates = new Informer<>(client, Keys.NODE_STATES, v -> Json.read(v, NodeState.class))
                    .addListener((k, b, a) -> wake()).start();
            return true;
        } catch (KvException e) {
            LOG.warnf("scheduler cannot read the store yet: %s", e.getMessage());
            closeInformers();
            return false;
        }
    }

    /** The fence for this pass's writes, or null when this replica must not act. */
    private Fence fence() {
        if (!options.elected()) {
            return Fence.NONE;
        }
        LeaderElection e = election;
        if (e == null || !e.isLeader()) {
            return null;
        }
        String key = e.key();
        long lease = e.leaseId();
        return key == null || lease == 0 ? null : new Fence(key, lease);
    }

    private void wake() {
        if (wake.availablePermits() == 0) {
            wake.release();
        }
    }

    private void pass(Fence fence) {
        metrics.passes.incrementAndGet();
        if (reconcile) {
            failover.reconcileAssignments(fence);
            reconcile = false;
        }
        // Nodes first: a node seen here may be newer than the tasks read below, never the other way round in a way
        // that matters, because a claim compares the node's lease and assignments at the txn itself.
        List<Informer.Entry<NodeState>> states = nodeStates.entries();
        List<Informer.Entry<Node>> nodeList = nodes.entries();
        ClusterView view = ClusterView.of(tasks.snapshot(), nodeList, states, own);
        lastClaim.values().removeIf(revision -> revision <= view.revision()); // the view has caught up with them
        if (!view.orphaned().isEmpty()) {
            failover.requeueLost(view.orphaned(), fence);
        }
        Instant now = Instant.now();
        metrics.observed(view, now);
        if (view.pending().isEmpty()) {
            return;
        }
        Placement placement = new Placement(List.copyOf(view.nodes().values()));
        Map<NodeCapacity, List<TaskUpdate>> byNode = new LinkedHashMap<>();
        List<TaskUpdate> reasons = new ArrayList<>();
        for (Informer.Entry<Task> entry : view.pending()) {
            Task task = entry.value();
            Decision decision;
            try {
                decision = placement.place(task.id(), Request.of(task.spec()));
            } catch (RuntimeException e) {
                LOG.warnf("task %s cannot be placed, skipped: %s", task.id(), e);
                continue;
            }
            if (decision instanceof Decision.Placed placed) {
                byNode.computeIfAbsent(placed.node(), n -> new ArrayList<>())
                        .add(new TaskUpdate(entry, Lifecycle.schedule(task, placed.node().id(), placed.gpus(), now)));
            } else if (decision instanceof Decision.Waiting waiting && !waiting.reason().equals(task.reason())) {
                reasons.add(new TaskUpdate(entry, Lifecycle.pendingReason(task, waiting.reason(), now)));
            }
        }
        List<CompletableFuture<Void>> inflight = new ArrayList<>();
        byNode.forEach((node, list) -> inflight.add(submit(() -> claimOn(node, list, view.revision(), fence))));
        CompletableFuture.allOf(inflight.toArray(CompletableFuture[]::new)).join();
        inflight.clear();
        for (int i = 0; i < reasons.size(); i += REASONS_PER_TXN) {
            List<TaskUpdate> batch = reasons.subList(i, Math.min(reasons.size(), i + REASONS_PER_TXN));
            inflight.add(submit(() -> writeReasons(batch, fence)));
        }
        CompletableFuture.allOf(inflight.toArray(CompletableFuture[]::new)).join();
    }

    private CompletableFuture<Void> submit(Runnable work) {
        return CompletableFuture.runAsync(() -> {
            inFlight.acquireUninterruptibly();
            try {
                work.run();
            } catch (KvException e) {
                // The outcome is unknown (e.g. a timeout): nothing is assumed, the next pass reads what happened.
                LOG.warnf("scheduler write failed: %s", e.getMessage());
                wake();
            } finally {
                inFlight.release();
            }
        }, txns);
    }

    /** Claims a node's share of the pass, MAX_PER_TXN tasks per txn, one txn after the other. */
    private void claimOn(NodeCapacity node, List<TaskUpdate> list, long viewRevision, Fence fence) {
        for (int i = 0; i < list.size(); i += Claims.MAX_PER_TXN) {
            List<TaskUpdate> batch = list.subList(i, Math.min(list.size(), i + Claims.MAX_PER_TXN));
            // What this decision knows of the node's assignments: everything up to the view's revision, plus this
            // scheduler's own later claims there (each of which proved nothing else was written before it).
            long decidedAt = Math.max(viewRevision, lastClaim.getOrDefault(node.id(), 0L));
            long started = System.nanoTime();
            long revision = claims.commit(node, batch, decidedAt, fence);
            metrics.claimNanos.addAndGet(System.nanoTime() - started);
            metrics.claimTxns.incrementAndGet();
            if (revision < 0) {
                metrics.conflicts.incrementAndGet();
                wake();
                return;
            }
            lastClaim.merge(node.id(), revision, Math::max);
            own.wrote(batch, revision);
            metrics.placements.addAndGet(batch.size());
        }
    }

    private void writeReasons(List<TaskUpdate> batch, Fence fence) {
        Txn txn = fence.apply(client.txn());
        batch.forEach(update -> update.compare(txn));
        batch.forEach(update -> txn.put(update.key(), Json.write(update.next())));
        var result = txn.commit();
        if (result.succeeded()) {
            metrics.reasonWrites.addAndGet(batch.size());
            own.wrote(batch, result.revision());
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeInformers() {
        for (Informer<?> informer : new Informer<?>[] {tasks, nodes, nodeStates}) {
            if (informer != null) {
                informer.close();
            }
        }
    }

    /** Stops scheduling and resigns, so another replica takes over at once. */
    @Override
    public void close() {
        closed = true;
        wake();
        try {
            loop.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (election != null) {
            election.close();
        }
        txns.shutdownNow();
        closeInformers();
    }
}
