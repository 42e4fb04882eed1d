package dev.gantry.it.lock;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.SharedClusterTest;
import dev.gantry.it.cluster.DefaultDeadline;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.election.CampaignRequest;
import dev.gantry.kv.api.election.CampaignResponse;
import dev.gantry.kv.api.election.ElectionGrpc;
import dev.gantry.kv.api.election.LeaderKey;
import dev.gantry.kv.api.election.LeaderRequest;
import dev.gantry.kv.api.election.LeaderResponse;
import dev.gantry.kv.api.election.ProclaimRequest;
import dev.gantry.kv.api.election.ResignRequest;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.lock.LockGrpc;
import dev.gantry.kv.api.lock.LockRequest;
import dev.gantry.kv.api.lock.LockResponse;
import dev.gantry.kv.api.lock.UnlockRequest;
import dev.gantry.kv.api.lock.UnlockResponse;
import dev.gantry.kv.api.mvcc.KeyValue;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Lock and Election gRPC services (v3lockpb, v3electionpb) on a 3-member cluster (the implementation chosen by
 * {@code -Dit.impl}), called through followers. etcdctl's {@code lock} and {@code elect} do not use these services
 * (they run the same recipe client-side: see EtcdctlWatchLeaseIT), so this is where the services themselves are
 * checked.
 *
 * <p>What etcd 3.4 does, and these tests pin down:
 * <ul>
 *   <li>Lock(name, lease) puts the key {@code <name>/<lease ID in lowercase hex, no padding>} with that lease and
 *       answers once it is the oldest key under {@code <name>/}; a second Lock waits until the first key is deleted
 *       (Unlock(key), or the revoke or expiry of its lease). Unlock deletes the key.</li>
 *   <li>Campaign(name, lease, value) does the same under the election name and answers with the LeaderKey (name,
 *       key, rev: the key's create revision, lease) once elected; Leader(name) answers the leader's key-value;
 *       Observe(name) streams the leader's key-value at each change of leader or value; Proclaim(leader, value)
 *       changes the value; Resign(leader) deletes the key, electing the next candidate.</li>
 *   <li>Errors come with gRPC code UNKNOWN (the services run the recipes through an internal client, and its errors
 *       are not gRPC statuses): Lock with an unknown lease {@code etcdserver: requested lease not found}; Leader of an
 *       election without candidates {@code election: no leader}; Proclaim by a leader that has resigned
 *       {@code election: not leader}. Resign by a leader that has already resigned succeeds and changes
 *       nothing.</li>
 * </ul>
 */
class LockElectionIT extends SharedClusterTest {
    private static final Duration RPC_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration AWAIT = Duration.ofSeconds(20);
    /** How long a waiting Lock or Campaign is watched for not returning early. */
    private static final Duration STILL_WAITING = Duration.ofSeconds(1);

    private Member first;
    private Member second;
    private final List<Context.CancellableContext> contexts = new ArrayList<>();

    @BeforeAll
    void clients() {
        Member leader = cluster.leader();
        List<Member> followers = cluster.members().stream().filter(member -> member != leader).toList();
        first = followers.get(0);
        second = followers.get(1);
    }

    @AfterEach
    void cancelStreams() {
        contexts.forEach(context -> context.cancel(null));
        contexts.clear();
    }

    // ---- Lock ----------------------------------------------------------------------------------------------------

    @Test
    void lockPutsAKeyUnderTheNameWithTheLeaseAndUnlockDeletesIt() {
        String name = prefix + "lock";
        long lease = grant(first);

        LockResponse locked = lock(first).lock(lockRequest(name, lease));

        assertThat(locked.getKey().toStringUtf8()).isEqualTo(name + "/" + Long.toHexString(lease));
        KeyValue held = single(range(second, name + "/"));
        assertThat(held.getKey()).isEqualTo(locked.getKey());
        assertThat(held.getLease()).isEqualTo(lease);
        assertThat(held.getValue()).isEmpty();
        assertThat(locked.getHeader().getRevision()).as("header revision").isGreaterThanOrEqualTo(held.getCreateRevision());

        UnlockResponse unlocked = lock(second).unlock(UnlockRequest.newBuilder().setKey(locked.getKey()).build());

        assertThat(unlocked.getHeader().getRevision()).isGreaterThan(held.getCreateRevision());
        assertThat(range(first, name + "/").getKvsList()).isEmpty();
    }

    @Test
    void aSecondLockIsGrantedOnlyOnceTheFirstIsUnlocked() throws Exception {
        String name = prefix + "lock";
        LockResponse held = lock(first).lock(lockRequest(name, grant(first)));
        long waiterLease = grant(second);

        ListenableFuture<LockResponse> waiting = LockGrpc.newFutureStub(second.channel())
                .withDeadlineAfter(AWAIT.toSeconds(), TimeUnit.SECONDS).lock(lockRequest(name, waiterLease));
        awaitKeys(name + "/", 2);
        Await.throughout("the second Lock waiting", STILL_WAITING,
                () -> waiting.isDone() ? Optional.of("it returned: " + outcome(waiting)) : Optional.empty(), () -> "");

        UnlockResponse unlocked = lock(first).unlock(UnlockRequest.newBuilder().setKey(held.getKey()).build());

        LockResponse acquired = waiting.get(AWAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(acquired.getKey().toStringUtf8()).isEqualTo(name + "/" + Long.toHexString(waiterLease));
        assertThat(acquired.getHeader().getRevision()).as("revision the second lock was granted at")
                .isGreaterThanOrEqualTo(unlocked.getHeader().getRevision());
        assertThat(single(range(first, name + "/")).getKey()).isEqualTo(acquired.getKey());
    }

    @Test
    void aLockWhoseLeaseIsRevokedPassesToTheNextWaiter() throws Exception {
        String name = prefix + "lock";
        long holderLease = grant(first);
        lock(first).lock(lockRequest(name, holderLease));
        ListenableFuture<LockResponse> waiting = LockGrpc.newFutureStub(second.channel())
                .withDeadlineAfter(AWAIT.toSeconds(), TimeUnit.SECONDS).lock(lockRequest(name, grant(second)));
        awaitKeys(name + "/", 2);
        assertThat(waiting.isDone()).as("the second Lock returned while the first is held: %s", outcome(waiting))
                .isFalse();

        lease(first).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(holderLease).build());

        LockResponse acquired = waiting.get(AWAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(single(range(first, name + "/")).getKey()).isEqualTo(acquired.getKey());
    }

    @Test
    void lockWithAnUnknownLeaseFails() {
        // etcd's lock service runs the recipe with an internal client, whose error reaches the caller as UNKNOWN.
        assertFails(Code.UNKNOWN, "etcdserver: requested lease not found",
                () -> lock(first).lock(lockRequest(prefix + "lock", 0x0bad_1ea5_0000_0002L)));
        assertThat(range(second, prefix).getKvsList()).isEmpty();
    }

    // ---- Election ------------------------------------------------------------------------------------------------

    @Test
    void campaignElectsTheFirstCandidateAndLeaderAnswersItsKeyValue() {
        String name = prefix + "election";
        long lease = grant(first);

        CampaignResponse elected = election(first).campaign(campaign(name, lease, "alice"));

        LeaderKey leader = elected.getLeader();
        assertThat(leader.getName().toStringUtf8()).isEqualTo(name);
        assertThat(leader.getKey().toStringUtf8()).isEqualTo(name + "/" + Long.toHexString(lease));
        assertThat(leader.getLease()).isEqualTo(lease);
        KeyValue stored = single(range(second, name + "/"));
        assertThat(leader.getRev()).as("rev: the create revision of the leader key").isEqualTo(stored.getCreateRevision());
        assertThat(stored.getValue().toStringUtf8()).isEqualTo("alice");
        assertThat(stored.getLease()).isEqualTo(lease);

        LeaderResponse current = election(second).leader(leaderRequest(name));
        assertThat(current.getKv()).isEqualTo(stored);
    }

    @Test
    void theNextCandidateIsElectedWhenTheLeaderResignsAndObserversSeeEveryLeaderAndValue() throws Exception {
        String name = prefix + "election";
        Queue<LeaderResponse> observed = observe(second, name);
        CampaignResponse alice = election(first).campaign(campaign(name, grant(first), "alice"));
        awaitObserved(observed, "alice");

        election(first).proclaim(ProclaimRequest.newBuilder().setLeader(alice.getLeader())
                .setValue(bytes("alice, again")).build());
        assertThat(election(second).leader(leaderRequest(name)).getKv().getValue().toStringUtf8())
                .isEqualTo("alice, again");
        awaitObserved(observed, "alice", "alice, again");

        long bobLease = grant(second);
        ListenableFuture<CampaignResponse> bob = ElectionGrpc.newFutureStub(second.channel())
                .withDeadlineAfter(AWAIT.toSeconds(), TimeUnit.SECONDS).campaign(campaign(name, bobLease, "bob"));
        awaitKeys(name + "/", 2);
        Await.throughout("bob's Campaign waiting while alice leads", STILL_WAITING,
                () -> bob.isDone() ? Optional.of("it returned: " + outcome(bob)) : Optional.empty(), () -> "");

        election(first).resign(ResignRequest.newBuilder().setLeader(alice.getLeader()).build());

        LeaderKey bobLeader = bob.get(AWAIT.toSeconds(), TimeUnit.SECONDS).getLeader();
        assertThat(bobLeader.getKey().toStringUtf8()).isEqualTo(name + "/" + Long.toHexString(bobLease));
        assertThat(bobLeader.getLease()).isEqualTo(bobLease);
        assertThat(election(first).leader(leaderRequest(name)).getKv().getValue().toStringUtf8()).isEqualTo("bob");
        List<LeaderResponse> all = awaitObserved(observed, "alice", "alice, again", "bob");
        assertThat(all.getLast().getKv().getKey()).isEqualTo(bobLeader.getKey());
        assertThat(all.getFirst().getKv().getKey()).isEqualTo(alice.getLeader().getKey());
    }

    @Test
    void theNextCandidateIsElectedWhenTheLeadersLeaseIsRevoked() throws Exception {
        String name = prefix + "election";
        long aliceLease = grant(first);
        election(first).campaign(campaign(name, aliceLease, "alice"));
        ListenableFuture<CampaignResponse> bob = ElectionGrpc.newFutureStub(second.channel())
                .withDeadlineAfter(AWAIT.toSeconds(), TimeUnit.SECONDS).campaign(campaign(name, grant(second), "bob"));
        awaitKeys(name + "/", 2);
        assertThat(bob.isDone()).as("bob elected while alice leads: %s", outcome(bob)).isFalse();

        lease(second).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(aliceLease).build());

        assertThat(bob.get(AWAIT.toSeconds(), TimeUnit.SECONDS).getLeader().getKey())
                .isEqualTo(single(range(first, name + "/")).getKey());
        assertThat(election(first).leader(leaderRequest(name)).getKv().getValue().toStringUtf8()).isEqualTo("bob");
    }

    @Test
    void leaderOfAnElectionWithoutCandidatesFails() {
        assertFails(Code.UNKNOWN, "election: no leader", () -> election(first).leader(leaderRequest(prefix + "none")));
    }

    @Test
    void proclaimByAFormerLeaderFailsAndItsResignChangesNothing() {
        String name = prefix + "election";
        CampaignResponse alice = election(first).campaign(campaign(name, grant(first), "alice"));
        election(first).resign(ResignRequest.newBuilder().setLeader(alice.getLeader()).build());
        election(second).campaign(campaign(name, grant(second), "bob"));

        assertFails(Code.UNKNOWN, "election: not leader", () -> election(first).proclaim(ProclaimRequest.newBuilder()
                .setLeader(alice.getLeader()).setValue(bytes("alice again")).build()));
        assertThat(election(second).leader(leaderRequest(name)).getKv().getValue().toStringUtf8()).isEqualTo("bob");

        // Resign deletes the key only if it is still the one created at rev: a former leader's does nothing.
        election(first).resign(ResignRequest.newBuilder().setLeader(alice.getLeader()).build());
        assertThat(election(second).leader(leaderRequest(name)).getKv().getValue().toStringUtf8()).isEqualTo("bob");
        assertThat(range(first, name + "/").getKvsList()).hasSize(1);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static Channel withDeadline(Member member) {
        return ClientInterceptors.intercept(member.channel(), new DefaultDeadline(RPC_TIMEOUT));
    }

    private static LockGrpc.LockBlockingStub lock(Member member) {
        return LockGrpc.newBlockingStub(withDeadline(member));
    }

    private static ElectionGrpc.ElectionBlockingStub election(Member member) {
        return ElectionGrpc.newBlockingStub(withDeadline(member));
    }

    private static LeaseGrpc.LeaseBlockingStub lease(Member member) {
        return LeaseGrpc.newBlockingStub(withDeadline(member));
    }

    /** A lease of 60 s: longer than any test, so only Unlock, Resign or a revoke end what it holds. */
    private static long grant(Member member) {
        return lease(member).leaseGrant(LeaseGrantRequest.newBuilder().setTTL(60).build()).getID();
    }

    private static LockRequest lockRequest(String name, long lease) {
        return LockRequest.newBuilder().setName(bytes(name)).setLease(lease).build();
    }

    private static CampaignRequest campaign(String name, long lease, String value) {
        return CampaignRequest.newBuilder().setName(bytes(name)).setLease(lease).setValue(bytes(value)).build();
    }

    private static LeaderRequest leaderRequest(String name) {
        return LeaderRequest.newBuilder().setName(bytes(name)).build();
    }

    /** Starts Observe(name) on the member; the responses collect in the queue until the test ends. */
    private Queue<LeaderResponse> observe(Member member, String name) {
        Queue<LeaderResponse> observed = new ConcurrentLinkedQueue<>();
        Context.CancellableContext context = Context.current().withCancellation();
        contexts.add(context);
        context.run(() -> ElectionGrpc.newStub(member.channel()).observe(leaderRequest(name), new StreamObserver<>() {
            @Override
            public void onNext(LeaderResponse response) {
                observed.add(response);
            }

            @Override
            public void onError(Throwable error) {
                // canceled at the end of the test, or failed: awaitObserved reports what arrived
            }

            @Override
            public void onCompleted() {
            }
        }));
        return observed;
    }

    /** Waits until the observer has seen exactly these leader values, in this order. */
    private static List<LeaderResponse> awaitObserved(Queue<LeaderResponse> observed, String... values) {
        List<String> expected = List.of(values);
        return Await.until("Observe to show " + expected, AWAIT, () -> {
            List<LeaderResponse> now = List.copyOf(observed);
            List<String> seen = now.stream().map(response -> response.getKv().getValue().toStringUtf8()).toList();
            if (seen.size() > expected.size() || !expected.subList(0, seen.size()).equals(seen)) {
                throw new Await.Abort("Observe showed " + seen);
            }
            return seen.equals(expected) ? Optional.of(now) : Optional.empty();
        }, () -> "observed: " + observed);
    }

    private static RangeResponse range(Member member, String prefix) {
        byte[] end = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        end[end.length - 1]++;
        return KVGrpc.newBlockingStub(withDeadline(member)).range(RangeRequest.newBuilder().setKey(bytes(prefix))
                .setRangeEnd(ByteString.copyFrom(end)).build());
    }

    private static KeyValue single(RangeResponse response) {
        assertThat(response.getKvsList()).as("keys").hasSize(1);
        return response.getKvs(0);
    }

    private void awaitKeys(String keyPrefix, int count) {
        Await.until(count + " keys under " + keyPrefix, AWAIT, () -> range(first, keyPrefix).getCount() == count
                ? Optional.of(true) : Optional.empty(), () -> range(first, keyPrefix).toString());
    }

    private static String outcome(ListenableFuture<?> future) {
        if (!future.isDone()) {
            return "still waiting";
        }
        try {
            return String.valueOf(future.get(0, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            return e.getCause().toString();
        } catch (InterruptedException | TimeoutException e) {
            return e.toString();
        }
    }

    private static ByteString bytes(String text) {
        return ByteString.copyFromUtf8(text);
    }

    private static void assertFails(Code code, String message, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as("gRPC code of %s", e).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).as("message").isEqualTo(message);
        });
    }
}
