package dev.gantry.it.jetcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.election.LeaderResponse;
import io.etcd.jetcd.election.NoLeaderException;
import io.etcd.jetcd.lock.LockResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.Election;

/**
 * jetcd 0.8.7 — the Java etcd client — against a 3-member cluster (the implementation chosen by
 * {@code -Dit.impl}), through all members: its Lock and Election clients call the v3lock and v3election
 * services (etcdctl builds the same recipes on the client side instead), its watch and keep-alive clients
 * the Watch and Lease streams.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JetcdIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private Cluster cluster;
    private Client client;
    private Client other;

    @BeforeAll
    void start() {
        cluster = Cluster.start(3);
        String[] endpoints = cluster.members().stream().map(m -> m.clientUrl()).toArray(String[]::new);
        client = Client.builder().endpoints(endpoints).build();
        other = Client.builder().endpoints(endpoints[2], endpoints[1]).build();
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.close();
        }
        if (other != null) {
            other.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static ByteSequence bs(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private long lease(Client c, long ttl) throws Exception {
        return get(c.getLeaseClient().grant(ttl)).getID();
    }

    @Test
    void aLockIsHeldByOneCallerAtATimeInOrderOfArrival() throws Exception {
        long first = lease(client, 30);
        long second = lease(other, 30);
        LockResponse held = get(client.getLockClient().lock(bs("jetcd-lock"), first));
        assertThat(held.getKey().toString(StandardCharsets.UTF_8)).isEqualTo("jetcd-lock/" + Long.toHexString(first));

        CompletableFuture<LockResponse> waiting = other.getLockClient().lock(bs("jetcd-lock"), second);
        assertThatNotDoneWithin(waiting, Duration.ofSeconds(2));
        get(client.getLockClient().unlock(held.getKey()));
        LockResponse next = get(waiting);
        assertThat(next.getKey().toString(StandardCharsets.UTF_8)).isEqualTo("jetcd-lock/" + Long.toHexString(second));
        get(other.getLockClient().unlock(next.getKey()));
    }

    @Test
    void aLockWhoseHoldersLeaseIsRevokedPassesOn() throws Exception {
        long first = lease(client, 30);
        long second = lease(other, 30);
        get(client.getLockClient().lock(bs("jetcd-lease-lock"), first));
        CompletableFuture<LockResponse> waiting = other.getLockClient().lock(bs("jetcd-lease-lock"), second);
        assertThatNotDoneWithin(waiting, Duration.ofSeconds(1));
        get(client.getLeaseClient().revoke(first));
        assertThat(get(waiting).getKey().toString(StandardCharsets.UTF_8)).endsWith(Long.toHexString(second));
    }

    @Test
    void anElectionHasOneLeaderWhoseProclamationsAndSuccessorObserversSee() throws Exception {
        Election election = client.getElectionClient();
        ByteSequence name = bs("jetcd-election");
        List<String> observed = new CopyOnWriteArrayList<>();
        election.observe(name, new Election.Listener() {
            @Override
            public void onNext(LeaderResponse response) {
                observed.add(response.getKv().getValue().toString(StandardCharsets.UTF_8));
            }

            @Override
            public void onError(Throwable throwable) {
                observed.add("error: " + throwable);
            }

            @Override
            public void onCompleted() {
            }
        });
        Throwable noLeader = get(election.leader(name).handle((r, e) -> e));
        assertThat(noLeader).isInstanceOf(NoLeaderException.class);

        long a = lease(client, 30);
        long b = lease(other, 30);
        CampaignResponse won = get(election.campaign(name, a, bs("alpha")));
        LeaderKey leader = won.getLeader();
        assertThat(leader.getKey().toString(StandardCharsets.UTF_8)).isEqualTo("jetcd-election/" + Long.toHexString(a));
        CompletableFuture<CampaignResponse> challenger = other.getElectionClient().campaign(name, b, bs("beta"));
        assertThatNotDoneWithin(challenger, Duration.ofSeconds(1));

        get(election.proclaim(leader, bs("alpha-2")));
        assertThat(get(election.leader(name)).getKv().getValue().toString(StandardCharsets.UTF_8)).isEqualTo("alpha-2");
        get(election.resign(leader));
        assertThat(get(challenger).getLeader().getKey().toString(StandardCharsets.UTF_8)).endsWith(Long.toHexString(b));
        assertThat(get(election.leader(name)).getKv().getValue().toString(StandardCharsets.UTF_8)).isEqualTo("beta");
        Await.until("the observer to see alpha, alpha-2 and beta", WAIT,
                () -> observed.size() >= 3 ? Optional.of(true) : Optional.empty(), observed::toString);
        assertThat(observed).containsExactly("alpha", "alpha-2", "beta");
        // a leader that resigned cannot proclaim
        Throwable notLeader = get(election.proclaim(leader, bs("stale")).handle((r, e) -> e));
        assertThat(notLeader).isInstanceOf(io.etcd.jetcd.election.NotLeaderException.class);
    }

    @Test
    void watchersOnEveryMemberSeeEachPutAndDeleteOnce() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (var watch = other.getWatchClient().watch(bs("jetcd-watch/"),
                WatchOption.builder().isPrefix(true).withPrevKV(true).build(),
                response -> response.getEvents().forEach(e -> seen.add(e.getEventType() + " "
                        + e.getKeyValue().getKey().toString(StandardCharsets.UTF_8)
                        + (e.getEventType() == WatchEvent.EventType.DELETE
                        ? " was " + e.getPrevKV().getValue().toString(StandardCharsets.UTF_8) : ""))))) {
            // the watch is registered once a write made after it is seen; then the real writes follow
            Await.until("the watch to be registered", WAIT, () -> {
                try {
                    get(client.getKVClient().put(bs("jetcd-watch/probe"), bs("p")));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return seen.isEmpty() ? Optional.empty() : Optional.of(true);
            }, seen::toString);
            get(client.getKVClient().put(bs("jetcd-watch/a"), bs("1")));
            get(client.getKVClient().delete(bs("jetcd-watch/a")));
            // (probes still in flight when the watch was first seen may arrive too)
            Await.until("two events", WAIT, () -> real(seen).size() >= 2 ? Optional.of(true) : Optional.empty(), seen::toString);
            assertThat(real(seen)).containsExactly("PUT jetcd-watch/a", "DELETE jetcd-watch/a was 1");
        }
    }

    @Test
    void keepAlivesOfTheClientKeepALeasedKeyPastItsTtl() throws Exception {
        long id = lease(client, 2);
        get(client.getKVClient().put(bs("jetcd-lease/key"), bs("v"),
                io.etcd.jetcd.options.PutOption.builder().withLeaseId(id).build()));
        try (var keepAlive = client.getLeaseClient().keepAlive(id, new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(io.etcd.jetcd.lease.LeaseKeepAliveResponse value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        })) {
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < until) { // 2.5 TTLs
                assertThat(get(client.getKVClient().get(bs("jetcd-lease/key"))).getCount()).isEqualTo(1);
                // remaining seconds are truncated, so a 2 s lease renewed a second ago may say 0; -1 is "gone"
                assertThat(get(client.getLeaseClient().timeToLive(id, io.etcd.jetcd.options.LeaseOption.DEFAULT)).getTTL())
                        .isNotNegative();
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // sampling interval
            }
        }
        Await.until("the key to go with its lease once keep-alives stop", WAIT, () -> {
            try {
                return get(client.getKVClient().get(bs("jetcd-lease/key"))).getCount() == 0 ? Optional.of(true) : Optional.empty();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, () -> "key still there");
    }

    private static List<String> real(List<String> events) {
        return events.stream().filter(e -> !e.contains("/probe")).toList();
    }

    private static void assertThatNotDoneWithin(CompletableFuture<?> f, Duration d) throws Exception {
        try {
            f.get(d.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("completed, but should still wait: " + f.join());
        } catch (TimeoutException expected) {
            // still waiting, as it should
        }
    }
}
