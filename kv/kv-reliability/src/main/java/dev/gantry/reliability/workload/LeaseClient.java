package dev.gantry.reliability.workload;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrantResponse;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseKeepAliveRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveResponse;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.reliability.history.LeaseLog;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Leases with attached keys: grant (TTL {@value #TTL_SECONDS} s), put two keys under the lease, keep it alive for a
 * while reading the keys between keep-alives, then revoke it or let it expire, reading the keys until they are gone.
 * Every keep-alive answer and every read goes to the lease's {@link LeaseLog}.
 */
public final class LeaseClient implements Runnable {

    static final long TTL_SECONDS = 3;
    private static final long TICK_NANOS = 300_000_000L;

    private final int process;
    private final Cluster cluster;
    private final String prefix;
    private final Duration timeout;
    private final BooleanSupplier stopped;
    private final ConcurrentLinkedQueue<LeaseLog> leases;

    public LeaseClient(int process, Cluster cluster, String prefix, Duration timeout, BooleanSupplier stopped,
            ConcurrentLinkedQueue<LeaseLog> leases) {
        this.process = process;
        this.cluster = cluster;
        this.prefix = prefix;
        this.timeout = timeout;
        this.stopped = stopped;
        this.leases = leases;
    }

    @Override
    public void run() {
        while (!stopped.getAsBoolean()) {
            try {
                oneLease();
            } catch (StatusRuntimeException | IllegalStateException e) {
                LockSupport.parkNanos(TICK_NANOS); // a grant or put failed under a fault: start over
            }
        }
    }

    private void oneLease() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Member member = Members.anyRunning(cluster).orElseThrow(() -> new IllegalStateException("no member"));
        long grantInvoke = System.nanoTime();
        LeaseGrantResponse grant = LeaseGrpc.newBlockingStub(member.channel())
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(TTL_SECONDS).build());
        LeaseLog lease = new LeaseLog(grant.getID(), grant.getTTL(), grantInvoke);
        leases.add(lease);
        List<String> keys = List.of(prefix + "p" + process + "/" + Long.toHexString(grant.getID()) + "/a",
                prefix + "p" + process + "/" + Long.toHexString(grant.getID()) + "/b");
        for (String key : keys) {
            kv(member).put(PutRequest.newBuilder().setKey(RegisterClient.bytes(key)).setValue(RegisterClient.bytes("x"))
                    .setLease(grant.getID()).build());
            lease.keyPut(key, System.nanoTime());
        }
        long keepUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2000 + random.nextInt(4000));
        while (System.nanoTime() < keepUntil && !stopped.getAsBoolean()) {
            keepAlive(lease);
            keys.forEach(key -> read(lease, key));
            LockSupport.parkNanos(TICK_NANOS); // the keep-alive period, not a synchronisation
        }
        if (random.nextBoolean()) {
            lease.revoking(System.nanoTime());
            try {
                Members.anyRunning(cluster).ifPresent(m -> LeaseGrpc.newBlockingStub(m.channel())
                        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease.id()).build()));
            } catch (StatusRuntimeException unknown) {
                // it may or may not have been revoked; it expires anyway
            }
        }
        // Read on until the keys are gone (or a bound well past the TTL: the checker only needs the reads).
        long readUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(lease.ttlSeconds() + 4);
        boolean gone = false;
        while (!gone && System.nanoTime() < readUntil && !stopped.getAsBoolean()) {
            gone = keys.stream().map(key -> read(lease, key)).allMatch(present -> present.isPresent() && !present.get());
            LockSupport.parkNanos(TICK_NANOS);
        }
    }

    private KVGrpc.KVBlockingStub kv(Member member) {
        return KVGrpc.newBlockingStub(member.channel()).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A linearizable read of one key, recorded; empty if it failed. */
    private Optional<Boolean> read(LeaseLog lease, String key) {
        Optional<Member> member = Members.anyRunning(cluster);
        if (member.isEmpty()) {
            return Optional.empty();
        }
        long invoke = System.nanoTime();
        try {
            RangeResponse r = kv(member.get()).range(RangeRequest.newBuilder().setKey(RegisterClient.bytes(key)).build());
            boolean present = r.getKvsCount() > 0;
            lease.observed(new LeaseLog.Observation(key, invoke, System.nanoTime(), present));
            return Optional.of(present);
        } catch (StatusRuntimeException e) {
            return Optional.empty();
        }
    }

    /** One keep-alive on a short stream; the answer's TTL is recorded against the time it was sent. */
    private void keepAlive(LeaseLog lease) {
        Optional<Member> member = Members.anyRunning(cluster);
        if (member.isEmpty()) {
            return;
        }
        CompletableFuture<Long> ttl = new CompletableFuture<>();
        StreamObserver<LeaseKeepAliveRequest> requests = LeaseGrpc.newStub(member.get().channel())
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .leaseKeepAlive(Streams.until(ttl, "keep-alive stream",
                        (LeaseKeepAliveResponse response) -> ttl.complete(response.getTTL())));
        long sent = System.nanoTime();
        requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(lease.id()).build());
        try {
            lease.keptAlive(sent, ttl.get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS));
            requests.onCompleted();
        } catch (Exception e) {
            requests.onError(e);
        }
    }
}
