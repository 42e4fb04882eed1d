package dev.gantry.it.lease;

import com.google.protobuf.ByteString;
import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.SharedClusterTest;
import dev.gantry.it.cluster.DefaultDeadline;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrantResponse;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseKeepAliveRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveResponse;
import dev.gantry.kv.api.etcd.LeaseLeasesRequest;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.LeaseRevokeResponse;
import dev.gantry.kv.api.etcd.LeaseStatus;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveRequest;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveResponse;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.mvcc.KeyValue;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Lease lifetimes on a 3-member cluster (the implementation chosen by {@code -Dit.impl}; heartbeat 100 ms, election
 * timeout 1 s), through grpc-java stubs as a Java etcd client calls them, and the Lease service's answers for
 * unknown leases, chosen IDs and small TTLs.
 *
 * <ul>
 *   <li>A key attached to a lease of TTL 5 s stays while the lease is renewed every second over a LeaseKeepAlive
 *       stream (15 s, three TTLs), and goes at most TTL + 1 s after the last renewal was answered (and not before
 *       TTL after the last renewal was sent).</li>
 *   <li>Across a SIGKILL of the leader: renewals sent to a surviving follower (the stream opened again when it fails,
 *       as clients do) keep the key for 20 s after the kill; once they stop, the key goes within TTL + election
 *       timeout + 1 s. A second lease whose renewals stop at the kill also goes: within TTL + election timeout +
 *       2 s of the new leader being known. etcd's new leader extends every lease by the election timeout when it
 *       takes over ({@code lessor.Promote}: expiry = promotion + 1 s + TTL), then checks for expired leases every
 *       500 ms; observed with etcd 3.4: that key went about 6.3 s after the new leader was known, 7.4 s after its
 *       last renewal.</li>
 *   <li>Semantics, asked through a follower: LeaseKeepAlive of an unknown lease answers TTL 0 and the stream goes on;
 *       LeaseTimeToLive of an unknown lease answers TTL -1; LeaseRevoke of one, and a Put with one, fail NOT_FOUND
 *       {@value #LEASE_NOT_FOUND}; a client-chosen ID is used, and granted again fails FAILED_PRECONDITION
 *       {@value #LEASE_EXISTS}; a TTL below etcd's minimum (ceil(1.5 x election timeout) = 2 s) is raised to it;
 *       a TTL above 9,000,000,000 s fails OUT_OF_RANGE {@value #TTL_TOO_LARGE}; a revoke deletes all the lease's
 *       keys in one revision.</li>
 * </ul>
 * Each test has its own key prefix and leases; the test that kills the leader restarts it afterwards.
 */
class LeaseExpiryIT extends SharedClusterTest {
    static final String LEASE_NOT_FOUND = "etcdserver: requested lease not found";
    static final String LEASE_EXISTS = "etcdserver: lease already exists";
    static final String TTL_TOO_LARGE = "etcdserver: too large lease TTL";

    private static final long TTL = 5;
    private static final Duration TTL_DURATION = Duration.ofSeconds(TTL);
    /** The cluster's --election-timeout: what etcd's new leader adds to every lease. */
    private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration RENEW_INTERVAL = Duration.ofSeconds(1);
    /**
     * Above both servers' own request timeout (etcd's: 5 s + 2 election timeouts), so that a slow call on a busy
     * box ends with the server's answer, not the client giving up first.
     */
    private static final Duration RPC_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration AWAIT = Duration.ofSeconds(30);
    /** A lease ID nobody granted. */
    private static final long UNKNOWN_LEASE = 0x0bad_1ea5_0000_0001L;

    /** The failover test kills the leader: bring it back so each test starts with three members. */
    @AfterEach
    void restartStoppedMembers() {
        List<Member> stopped = cluster.members().stream().filter(member -> !member.isRunning()).toList();
        if (!stopped.isEmpty()) {
            cluster.restart(stopped);
        }
    }

    // ---- expiry --------------------------------------------------------------------------------------------------

    @Test
    void aKeyStaysWhileItsLeaseIsKeptAliveAndGoesWithinTtlPlusOneSecondOnceRenewalsStop() {
        Member leader = cluster.leader();
        List<Member> followers = followers(leader);
        long lease = grant(followers.get(0), TTL);
        put(followers.get(0), key("k"), "v", lease);

        KeepAliver keepAliver = KeepAliver.start(followers.get(1), List.of(lease), RENEW_INTERVAL);
        try (keepAliver) {
            Await.throughout(key("k") + " present while its lease is renewed every second",
                    TTL_DURATION.multipliedBy(3), () -> present(leader, key("k")) ? Optional.empty()
                            : Optional.of("the key is gone; " + keepAliver.summary()), this::logs);
        }
        assertThat(keepAliver.ackCount()).as(keepAliver.summary()).isGreaterThanOrEqualTo(12);
        KeepAliver.Ack lastAck = keepAliver.lastAck(lease).orElseThrow();
        assertThat(lastAck.ttl()).as("TTL in a keep-alive response: the granted TTL").isEqualTo(TTL);
        long lastRoundSent = keepAliver.lastRoundNanos();

        long goneAt = awaitGone(leader, key("k"));
        report("renewals stopped: last answered %d ms, last sent %d ms before the key was gone; %s",
                millis(goneAt - lastAck.nanos()), millis(goneAt - lastRoundSent), keepAliver.summary());

        assertThat(Duration.ofNanos(goneAt - lastAck.nanos())).as("last renewal answered to the key gone")
                .isLessThanOrEqualTo(TTL_DURATION.plusSeconds(1));
        assertThat(Duration.ofNanos(goneAt - lastRoundSent)).as("last renewal sent to the key gone")
                .isGreaterThanOrEqualTo(TTL_DURATION);
        LeaseTimeToLiveResponse expired = lease(leader).leaseTimeToLive(timeToLive(lease, false));
        assertThat(expired.getTTL()).as("TTL of the expired lease").isEqualTo(-1);
        assertThat(leases(leader)).as("leases after expiry").doesNotContain(lease);
    }

    @Test
    void renewalsToASurvivorKeepTheKeyAcrossALeaderKillAndOnceTheyStopTheKeyGoes() {
        Member leader = cluster.leader();
        List<Member> survivors = followers(leader);
        Member keeper = survivors.get(0);
        long kept = grant(keeper, TTL);
        long dropped = grant(keeper, TTL);
        put(keeper, key("kept"), "v", kept);
        put(keeper, key("dropped"), "v", dropped);

        KeepAliver keepKept = KeepAliver.start(keeper, List.of(kept), RENEW_INTERVAL);
        long droppedLastAck;
        try (keepKept) {
            try (KeepAliver keepDropped = KeepAliver.start(survivors.get(1), List.of(dropped), RENEW_INTERVAL)) {
                Await.throughout("both keys present while their leases are renewed", Duration.ofSeconds(3),
                        () -> present(leader, key("kept")) && present(leader, key("dropped")) ? Optional.empty()
                                : Optional.of("a key is gone"), this::logs);
                droppedLastAck = keepDropped.lastAck(dropped).orElseThrow().nanos();
            }

            cluster.kill9(leader);
            long killedAt = System.nanoTime();
            Member newLeader = cluster.leader();
            long newLeaderKnownAt = System.nanoTime();

            // For four TTLs after the kill, the renewed key must never be missing from a read that succeeds; reads
            // that fail (no leader yet) tell nothing. The other key must go, but only once its TTL has passed.
            AtomicInteger reads = new AtomicInteger();
            AtomicLong droppedGoneAt = new AtomicLong();
            Await.throughout(key("kept") + " present on every successful read after the kill",
                    TTL_DURATION.multipliedBy(4), () -> {
                        for (Member survivor : survivors) {
                            Optional<RangeResponse> read = tryRead(survivor, prefix);
                            if (read.isEmpty()) {
                                continue;
                            }
                            reads.incrementAndGet();
                            List<String> keys = read.get().getKvsList().stream()
                                    .map(kv -> kv.getKey().toStringUtf8()).toList();
                            if (!keys.contains(key("dropped"))) {
                                droppedGoneAt.compareAndSet(0, System.nanoTime());
                            }
                            if (!keys.contains(key("kept"))) {
                                return Optional.of("read on " + survivor + " found " + keys + "; " + keepKept.summary());
                            }
                        }
                        return Optional.empty();
                    }, this::logs);

            report("leader %s killed: new leader %s known after %d ms; the lease whose renewals stopped at the kill "
                    + "went %d ms after its last renewal, %d ms after the new leader was known; %d successful reads",
                    leader, newLeader, millis(newLeaderKnownAt - killedAt), millis(droppedGoneAt.get() - droppedLastAck),
                    millis(droppedGoneAt.get() - newLeaderKnownAt), reads.get());
            assertThat(reads.get()).as("successful reads in the 20 s after the kill").isGreaterThan(50);
            assertThat(keepKept.lastAck(kept).orElseThrow().nanos()).as("a renewal answered after the kill; %s",
                    keepKept.summary()).isGreaterThan(newLeaderKnownAt);
            assertThat(droppedGoneAt.get()).as("%s deleted after its renewals stopped at the kill", key("dropped"))
                    .isNotZero();
            assertThat(Duration.ofNanos(droppedGoneAt.get() - droppedLastAck))
                    .as("last renewal of the dropped lease answered to its key gone").isGreaterThanOrEqualTo(TTL_DURATION);
            assertThat(Duration.ofNanos(droppedGoneAt.get() - newLeaderKnownAt))
                    .as("new leader (%s) known, %d ms after the kill, to the dropped key gone", newLeader,
                            TimeUnit.NANOSECONDS.toMillis(newLeaderKnownAt - killedAt))
                    .isLessThanOrEqualTo(TTL_DURATION.plus(ELECTION_TIMEOUT).plusSeconds(2));
        }

        long keptLastAck = keepKept.lastAck(kept).orElseThrow().nanos();
        long keptLastSent = keepKept.lastRoundNanos();
        long goneAt = awaitGone(keeper, key("kept"));
        report("leader killed, renewals to %s went on: after they stopped, last answered %d ms, last sent %d ms "
                + "before the key was gone; %s", keeper, millis(goneAt - keptLastAck), millis(goneAt - keptLastSent),
                keepKept.summary());
        assertThat(Duration.ofNanos(goneAt - keptLastAck)).as("last renewal answered to the key gone; %s",
                keepKept.summary()).isLessThanOrEqualTo(TTL_DURATION.plus(ELECTION_TIMEOUT).plusSeconds(1));
        assertThat(Duration.ofNanos(goneAt - keptLastSent)).as("last renewal sent to the key gone")
                .isGreaterThanOrEqualTo(TTL_DURATION);
    }

    // ---- semantics -----------------------------------------------------------------------------------------------

    @Test
    void keepAliveOfAnUnknownLeaseAnswersTtlZeroAndTheStreamGoesOn() throws InterruptedException {
        Member follower = followers(cluster.leader()).getFirst();
        long known = grant(follower, 30);
        BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        StreamObserver<LeaseKeepAliveRequest> stream = LeaseGrpc.newStub(follower.channel())
                .leaseKeepAlive(new StreamObserver<>() {
                    @Override
                    public void onNext(LeaseKeepAliveResponse response) {
                        received.add(response);
                    }

                    @Override
                    public void onError(Throwable error) {
                        received.add(error);
                    }

                    @Override
                    public void onCompleted() {
                        received.add("completed");
                    }
                });
        try {
            stream.onNext(LeaseKeepAliveRequest.newBuilder().setID(UNKNOWN_LEASE).build());
            Object first = received.poll(AWAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(first).as("response to the unknown lease").isInstanceOfSatisfying(LeaseKeepAliveResponse.class,
                    response -> {
                        assertThat(response.getID()).isEqualTo(UNKNOWN_LEASE);
                        assertThat(response.getTTL()).isZero();
                        assertThat(response.getHeader().getRevision()).isPositive();
                    });

            stream.onNext(LeaseKeepAliveRequest.newBuilder().setID(known).build());
            Object second = received.poll(AWAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(second).as("response on the same stream to a granted lease")
                    .isInstanceOfSatisfying(LeaseKeepAliveResponse.class, response -> {
                        assertThat(response.getID()).isEqualTo(known);
                        assertThat(response.getTTL()).isEqualTo(30);
                    });
        } finally {
            stream.onCompleted();
        }
    }

    @Test
    void timeToLiveOfAnUnknownLeaseAnswersTtlMinusOne() {
        LeaseTimeToLiveResponse response = lease(anyFollower()).leaseTimeToLive(timeToLive(UNKNOWN_LEASE, true));

        assertThat(response.getID()).isEqualTo(UNKNOWN_LEASE);
        assertThat(response.getTTL()).isEqualTo(-1);
        assertThat(response.getGrantedTTL()).isZero();
        assertThat(response.getKeysList()).isEmpty();
    }

    @Test
    void revokeOfAnUnknownLeaseIsNotFound() {
        assertFails(Code.NOT_FOUND, LEASE_NOT_FOUND,
                () -> lease(anyFollower()).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(UNKNOWN_LEASE).build()));
    }

    @Test
    void putWithAnUnknownLeaseIsNotFound() {
        Member follower = anyFollower();

        assertFails(Code.NOT_FOUND, LEASE_NOT_FOUND, () -> put(follower, key("k"), "v", UNKNOWN_LEASE));
        assertThat(present(follower, key("k"))).isFalse();
    }

    @Test
    void aClientChosenIdIsGrantedOnceAndAgainOnlyAfterItIsRevoked() {
        Member follower = anyFollower();
        long chosen = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);

        LeaseGrantResponse granted = lease(follower).leaseGrant(grantRequest(chosen, 30));
        assertThat(granted.getID()).isEqualTo(chosen);
        assertThat(granted.getTTL()).isEqualTo(30);
        assertThat(granted.getError()).isEmpty();
        assertThat(lease(follower).leaseTimeToLive(timeToLive(chosen, false)).getGrantedTTL()).isEqualTo(30);

        assertFails(Code.FAILED_PRECONDITION, LEASE_EXISTS, () -> lease(follower).leaseGrant(grantRequest(chosen, 60)));
        assertThat(lease(follower).leaseTimeToLive(timeToLive(chosen, false)).getGrantedTTL())
                .as("granted TTL after the rejected grant").isEqualTo(30);

        lease(follower).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(chosen).build());
        assertThat(lease(follower).leaseGrant(grantRequest(chosen, 60)).getID()).as("granted again after the revoke")
                .isEqualTo(chosen);
        revoke(follower, chosen);
    }

    @Test
    void aTtlBelowTheMinimumIsRaisedToTwoSecondsAndOneTooLargeIsRejected() {
        Member follower = anyFollower();
        for (long ttl : new long[] {1, 0, -5}) {
            LeaseGrantResponse granted = lease(follower).leaseGrant(grantRequest(0, ttl));
            assertThat(granted.getTTL()).as("TTL granted for %d", ttl).isEqualTo(2);
            assertThat(lease(follower).leaseTimeToLive(timeToLive(granted.getID(), false)).getGrantedTTL())
                    .as("granted TTL of the lease asked with %d", ttl).isEqualTo(2);
        }
        assertThat(lease(follower).leaseGrant(grantRequest(0, 3)).getTTL()).isEqualTo(3);

        assertFails(Code.OUT_OF_RANGE, TTL_TOO_LARGE, () -> lease(follower).leaseGrant(grantRequest(0, 9_000_000_001L)));
    }

    @Test
    void timeToLiveReportsTheGrantedAndRemainingTtlAndTheAttachedKeys() {
        Member follower = anyFollower();
        long lease = grant(follower, 60);
        put(follower, key("a"), "1", lease);
        put(follower, key("b"), "2", lease);
        put(follower, key("c"), "3", lease);
        put(follower, key("c"), "detached", 0);

        LeaseTimeToLiveResponse withKeys = lease(follower).leaseTimeToLive(timeToLive(lease, true));
        assertThat(withKeys.getID()).isEqualTo(lease);
        assertThat(withKeys.getGrantedTTL()).isEqualTo(60);
        assertThat(withKeys.getTTL()).as("remaining TTL").isBetween(50L, 60L);
        assertThat(withKeys.getKeysList()).extracting(ByteString::toStringUtf8).as("attached keys, in any order")
                .containsExactlyInAnyOrder(key("a"), key("b"));
        assertThat(lease(follower).leaseTimeToLive(timeToLive(lease, false)).getKeysList()).as("without keys=true")
                .isEmpty();
        revoke(follower, lease);
    }

    @Test
    void revokeDeletesEveryAttachedKeyInOneRevision() {
        Member follower = anyFollower();
        long lease = grant(follower, 60);
        put(follower, key("a"), "1", lease);
        put(follower, key("b"), "2", lease);
        long before = put(follower, key("other"), "3", 0).getHeader().getRevision();

        LeaseRevokeResponse revoked = lease(follower).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease).build());

        assertThat(revoked.getHeader().getRevision()).as("revision of the revoke").isEqualTo(before + 1);
        RangeResponse after = kv(follower).range(prefix(prefix).build());
        assertThat(after.getKvsList()).extracting(kv -> kv.getKey().toStringUtf8()).containsExactly(key("other"));
        RangeResponse atBefore = kv(follower).range(prefix(prefix).setRevision(before).build());
        assertThat(atBefore.getKvsList()).extracting(KeyValue::getLease).containsExactly(lease, lease, 0L);
        assertThat(leases(follower)).doesNotContain(lease);
    }

    @Test
    void leaseLeasesListsGrantedLeasesUntilTheyAreRevoked() {
        Member follower = anyFollower();
        long first = grant(follower, 60);
        long second = grant(follower, 60);

        assertThat(leases(cluster.leader())).contains(first, second);
        revoke(follower, first);
        assertThat(leases(follower)).contains(second).doesNotContain(first);
        revoke(follower, second);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private String key(String name) {
        return prefix + name;
    }

    private List<Member> followers(Member leader) {
        return cluster.members().stream().filter(member -> member != leader).toList();
    }

    private Member anyFollower() {
        return followers(cluster.leader()).getFirst();
    }

    /** Timings, printed whether the test passes or not, to compare implementations. */
    private void report(String format, Object... args) {
        System.out.println("LeaseExpiryIT (" + cluster.implementation() + "): " + format.formatted(args));
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private String logs() {
        return cluster.logTails(Cluster.LOG_TAIL_LINES);
    }

    private static Channel withDeadline(Member member, Duration timeout) {
        return ClientInterceptors.intercept(member.channel(), new DefaultDeadline(timeout));
    }

    static LeaseGrpc.LeaseBlockingStub lease(Member member) {
        return LeaseGrpc.newBlockingStub(withDeadline(member, RPC_TIMEOUT));
    }

    static KVGrpc.KVBlockingStub kv(Member member) {
        return KVGrpc.newBlockingStub(withDeadline(member, RPC_TIMEOUT));
    }

    static LeaseGrantRequest grantRequest(long id, long ttl) {
        return LeaseGrantRequest.newBuilder().setID(id).setTTL(ttl).build();
    }

    static LeaseTimeToLiveRequest timeToLive(long id, boolean keys) {
        return LeaseTimeToLiveRequest.newBuilder().setID(id).setKeys(keys).build();
    }

    private static long grant(Member member, long ttl) {
        LeaseGrantResponse granted = lease(member).leaseGrant(grantRequest(0, ttl));
        assertThat(granted.getTTL()).as("granted TTL").isEqualTo(ttl);
        assertThat(granted.getID()).as("granted ID").isNotZero();
        return granted.getID();
    }

    private static void revoke(Member member, long id) {
        lease(member).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(id).build());
    }

    /**
     * LeaseLeases, retried while the member answers Unavailable, as etcd's clients retry reads (a linearizable
     * read on a follower just after a leader change may time out on a busy box).
     */
    static List<Long> leases(Member member) {
        return Await.until("LeaseLeases on " + member.name(), AWAIT, () -> {
            try {
                return Optional.of(lease(member).leaseLeases(LeaseLeasesRequest.getDefaultInstance()).getLeasesList()
                        .stream().map(LeaseStatus::getID).toList());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Code.UNAVAILABLE) {
                    throw e;
                }
                return Optional.empty();
            }
        }, member::toString);
    }

    private static PutResponse put(Member member, String key, String value, long lease) {
        return kv(member).put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                .setValue(ByteString.copyFromUtf8(value)).setLease(lease).build());
    }

    private static RangeRequest.Builder prefix(String prefix) {
        byte[] end = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        end[end.length - 1]++;
        return RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(prefix)).setRangeEnd(ByteString.copyFrom(end));
    }

    /** A linearizable read of one key. */
    private static boolean present(Member member, String key) {
        return kv(member).range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build()).getCount() > 0;
    }

    /** A linearizable read of a prefix with a short deadline; empty when it fails (no leader, say). */
    private static Optional<RangeResponse> tryRead(Member member, String prefix) {
        try {
            return Optional.of(KVGrpc.newBlockingStub(withDeadline(member, PROBE_TIMEOUT)).range(prefix(prefix).build()));
        } catch (StatusRuntimeException e) {
            return Optional.empty();
        }
    }

    /** Waits until a linearizable read on {@code member} no longer finds the key; returns when it first did not. */
    private long awaitGone(Member member, String key) {
        return Await.until(key + " deleted by the expiry of its lease", AWAIT,
                () -> present(member, key) ? Optional.empty() : Optional.of(System.nanoTime()), this::logs);
    }

    private static void assertFails(Code code, String message, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as("gRPC code of %s", e).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).as("message").isEqualTo(message);
        });
    }
}
