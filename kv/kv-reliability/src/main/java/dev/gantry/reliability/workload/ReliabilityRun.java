package dev.gantry.reliability.workload;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.HashKVRequest;
import dev.gantry.kv.api.etcd.HashKVResponse;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.reliability.check.Anomaly;
import dev.gantry.reliability.check.HashChecker;
import dev.gantry.reliability.check.LeaseChecker;
import dev.gantry.reliability.check.LostWriteChecker;
import dev.gantry.reliability.check.RegisterChecker;
import dev.gantry.reliability.check.RevisionChecker;
import dev.gantry.reliability.check.WatchChecker;
import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.LeaseLog;
import dev.gantry.reliability.history.Op;
import dev.gantry.reliability.history.OpType;
import dev.gantry.reliability.history.Outcome;
import dev.gantry.reliability.history.WatchEvent;
import dev.gantry.reliability.history.WatchLog;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One reliability run on a started cluster: clients, watchers, lease holders and a revision monitor run for
 * {@code traffic} while the {@link Nemesis} injects faults; then the faults stop (each is healed), the cluster
 * converges, the final state is read, and every checker judges what was recorded.
 */
public final class ReliabilityRun {

    /** Each run has key prefixes of its own, so that several runs on one cluster do not see each other's values. */
    private final String run = Long.toHexString(System.nanoTime() & 0xffffff);
    private final String registers = "/rel/" + run + "/r/";
    private final String leasePrefix = "/rel/" + run + "/lease/";
    private static final Duration CONVERGE = Duration.ofSeconds(90);

    /**
     * How many of each, how long, which faults. The clients work on {@code keys} keys at a time, a fresh set every
     * {@link #KEY_PERIOD} ({@link KeyGenerations}).
     */
    public record Settings(Duration traffic, int clients, int keys, int watchers, int leaseClients,
            Duration faultInterval, Set<Fault> faults, Duration requestTimeout) {
        public static Settings ci(Duration traffic, Set<Fault> faults) {
            // 24 keys: on a quiet box a 75 s run makes ~16,000 operations; on 6 keys, ~1,400 per key with many
            // unknown outcomes went past the checker's search bound ("too complex", not a violation).
            return new Settings(traffic, 6, 24, 2, 2, Duration.ofSeconds(4), faults, Duration.ofSeconds(2));
        }
    }

    /** As long as a CI-sized run, whose per-key histories the checker decides in seconds. */
    static final Duration KEY_PERIOD = Duration.ofSeconds(75);

    private final Cluster cluster;
    private final Settings settings;
    private final Firewall firewall;
    private final History history = new History();
    private final ConcurrentLinkedQueue<LeaseLog> leases = new ConcurrentLinkedQueue<>();
    private final List<ResumingWatcher> watchers = new ArrayList<>();
    private volatile boolean trafficStopped;
    private volatile boolean watchersStopped;

    /** {@code firewall} may be null when no fault of the settings {@link Fault#needsFirewall() needs one}. */
    public ReliabilityRun(Cluster cluster, Settings settings, Firewall firewall) {
        this.cluster = cluster;
        this.settings = settings;
        this.firewall = firewall;
    }

    public Report execute() {
        KeyGenerations keys = new KeyGenerations(registers, settings.keys(), KEY_PERIOD);
        List<Thread> threads = new ArrayList<>();
        long base = currentRevision();
        for (int i = 0; i < settings.watchers(); i++) {
            threads.add(startWatcher("w" + i, base + 1));
        }
        List<Thread> traffic = new ArrayList<>();
        for (int i = 0; i < settings.clients(); i++) {
            traffic.add(Thread.ofPlatform().name("client-" + i).start(new RegisterClient(i, cluster, history,
                    keys::current, settings.requestTimeout(), () -> trafficStopped)));
        }
        for (int i = 0; i < settings.leaseClients(); i++) {
            traffic.add(Thread.ofPlatform().name("lease-" + i).start(new LeaseClient(i, cluster, leasePrefix,
                    settings.requestTimeout(), () -> trafficStopped, leases)));
        }
        RevisionMonitor monitor = new RevisionMonitor(cluster, () -> trafficStopped);
        traffic.add(Thread.ofPlatform().name("revision-monitor").start(monitor));
        Nemesis nemesis = new Nemesis(cluster, settings.faultInterval(), settings.faults(), firewall);
        Thread nemesisThread = Thread.ofPlatform().name("nemesis").start(nemesis);
        long started = System.nanoTime();
        try {
            // One more watcher, started a third into the run from the run's first revision: it catches up from
            // history while the writes go on.
            Waits.quietly(settings.traffic().dividedBy(3));
            threads.add(startWatcher("late", base + 1));
            Waits.quietly(settings.traffic().minus(settings.traffic().dividedBy(3)));
            nemesis.stop();
            Waits.join(nemesisThread);
            long trafficSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            trafficStopped = true;
            traffic.forEach(Waits::join);
            nemesis.failure().ifPresent(t -> {
                throw new IllegalStateException("the nemesis failed to inject or heal a fault", t);
            });
            List<Anomaly> anomalies = checkAfterHealing(base, keys.all(), monitor);
            return new Report(cluster.implementation().toString(), cluster.members().size(), trafficSeconds,
                    history.count(Outcome.OK), history.count(Outcome.FAIL), history.count(Outcome.UNKNOWN),
                    nemesis.injected(), watchers.size(),
                    watchers.stream().mapToLong(w -> w.log().events()).sum(),
                    watchers.stream().mapToInt(w -> w.log().resumptions()).sum(), leases.size(), monitor.count(),
                    anomalies);
        } finally {
            nemesis.stop();
            trafficStopped = true;
            watchersStopped = true;
            Waits.join(nemesisThread);
            traffic.forEach(Waits::join);
            threads.forEach(Waits::join);
        }
    }

    private Thread startWatcher(String name, long start) {
        ResumingWatcher watcher = new ResumingWatcher(cluster, registers, new WatchLog(name, start), () -> watchersStopped);
        synchronized (watchers) {
            watchers.add(watcher);
        }
        return Thread.ofPlatform().name("watcher-" + name).start(watcher);
    }

    private List<Anomaly> checkAfterHealing(long base, List<String> keys, RevisionMonitor monitor) {
        List<Anomaly> anomalies = new ArrayList<>();
        Member leader = cluster.leader();
        // The final state, read linearizably and checked with the rest; then a sentinel write every watcher must reach.
        RegisterClient finalReader = new RegisterClient(1000, cluster, history, List::of, settings.requestTimeout(),
                () -> true);
        for (String key : keys) {
            Await.until("a final read of " + key, CONVERGE, () -> {
                Op op = finalReader.execute(leader, OpType.GET, key);
                return op.ok() ? Optional.of(op) : Optional.empty();
            }, () -> cluster.logTails(20));
        }
        long end = KVGrpc.newBlockingStub(leader.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .put(PutRequest.newBuilder().setKey(RegisterClient.bytes(registers + "~end"))
                        .setValue(RegisterClient.bytes("end")).build()).getHeader().getRevision();
        List<WatchEvent> reference = ResumingWatcher.readAll(leader, registers, base + 1, end, CONVERGE.toMillis())
                .allEvents();
        Await.until("every watcher at rev " + end, CONVERGE, () -> watchers.stream()
                .allMatch(w -> w.log().lastRevision() >= end) ? Optional.of(true) : Optional.empty(), () -> "");
        watchersStopped = true;

        // Every member at the same revision, then HashKV there.
        Map<String, HashChecker.MemberHash> hashes = new LinkedHashMap<>();
        for (Member member : cluster.members()) {
            Await.until(member.name() + " at rev " + end, CONVERGE, () -> revision(member) >= end ? Optional.of(true)
                    : Optional.empty(), () -> member.logTail(20));
            HashKVResponse hash = MaintenanceGrpc.newBlockingStub(member.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .hashKV(HashKVRequest.newBuilder().setRevision(end).build());
            hashes.put(member.name(), new HashChecker.MemberHash(hash.getHeader().getRevision(), hash.getHash(),
                    hash.getCompactRevision()));
        }

        anomalies.addAll(new RegisterChecker().check(history, reference));
        anomalies.addAll(new WatchChecker().check(reference, watchers.stream().map(ResumingWatcher::log).toList()));
        anomalies.addAll(new LostWriteChecker().check(history, reference));
        anomalies.addAll(new RevisionChecker().checkMembers(monitor.samples()));
        anomalies.addAll(new RevisionChecker().checkRealTime(history));
        anomalies.addAll(new HashChecker().check(end, hashes));
        anomalies.addAll(new LeaseChecker().check(List.copyOf(leases), history.originNanos()));
        anomalies.addAll(compactionCancels(leader, end));
        return anomalies;
    }

    /** Compacts at {@code revision}; on every member a watch from below it must then be cancelled with it. */
    private List<Anomaly> compactionCancels(Member leader, long revision) {
        KVGrpc.newBlockingStub(leader.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .compact(CompactionRequest.newBuilder().setRevision(revision).setPhysical(true).build());
        List<Anomaly> anomalies = new ArrayList<>();
        for (Member member : cluster.members()) {
            // The member has applied the compaction once a serializable read below it fails as compacted.
            Await.until(member.name() + " applying the compaction at " + revision, CONVERGE, () -> {
                try {
                    KVGrpc.newBlockingStub(member.channel()).withDeadlineAfter(2, TimeUnit.SECONDS).range(RangeRequest
                            .newBuilder().setKey(RegisterClient.bytes(registers)).setRevision(revision - 1).setSerializable(true).build());
                    return Optional.empty();
                } catch (StatusRuntimeException e) {
                    return e.getStatus().getCode() == Status.Code.OUT_OF_RANGE ? Optional.of(true) : Optional.empty();
                }
            }, () -> "");
            CompletableFuture<WatchResponse> cancel = new CompletableFuture<>();
            List<WatchEvent> events = new CopyOnWriteArrayList<>();
            StreamObserver<WatchRequest> requests = WatchGrpc.newStub(member.channel())
                    .watch(Streams.until(cancel, "compacted watch", (WatchResponse response) -> {
                        response.getEventsList().forEach(e -> events.add(ResumingWatcher.event(e)));
                        if (response.getCanceled() || !events.isEmpty()) {
                            cancel.complete(response);
                        }
                    }));
            requests.onNext(ResumingWatcher.watchPrefix(registers, revision - 1));
            WatchResponse response = null;
            try {
                response = cancel.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // no cancel within 10 s: reported below
            } finally {
                requests.onError(new IllegalStateException("done"));
            }
            anomalies.addAll(new WatchChecker().checkCancel(member.name(), revision - 1, revision,
                    response != null && response.getCanceled(),
                    response == null ? 0 : response.getCompactRevision(), List.copyOf(events)));
        }
        return anomalies;
    }

    private long currentRevision() {
        return revision(cluster.leader());
    }

    private long revision(Member member) {
        return cluster.status(member).getHeader().getRevision();
    }
}
