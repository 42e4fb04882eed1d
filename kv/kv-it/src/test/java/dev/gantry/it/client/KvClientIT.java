package dev.gantry.it.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Member;
import dev.gantry.it.cluster.SharedClusterTest;
import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.client.Informer;
import dev.gantry.kv.client.KeepAlive;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.LeaderElection;
import dev.gantry.kv.client.Listing;
import dev.gantry.kv.client.TxnResult;
import dev.gantry.kv.client.Watch;
import dev.gantry.kv.client.WatchEvent;
import dev.gantry.kv.client.WatchListener;

/**
 * Gantry's own etcd client ({@code kv/kv-client}, what the scheduler, API and agent use) against a 3-member
 * cluster of Gantry or etcd: reads, paging and compare-and-swap; watches that survive the loss of their member
 * and report compaction; leases kept alive and their loss reported; informers; leader election.
 */
class KvClientIT extends SharedClusterTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    private KvClient connect() {
        return KvClient.connect(cluster.endpoints());
    }

    @Test
    void readsPagesAndCompareAndSwap() {
        try (KvClient client = connect()) {
            IntStream.range(0, 5).forEach(i -> client.put(prefix + "k" + i, "v" + i));
            assertThat(client.get(prefix + "k3")).map(Kv::value).contains("v3");
            assertThat(client.get(prefix + "missing")).isEmpty();

            Listing first = client.list(prefix, null, 2);
            Listing second = client.list(prefix, first.lastKey(), 2);
            Listing third = client.list(prefix, second.lastKey(), 2);
            assertThat(first.more()).isTrue();
            assertThat(third.more()).isFalse();
            assertThat(List.of(first, second, third)).flatMap(Listing::kvs).extracting(Kv::key)
                    .containsExactly(prefix + "k0", prefix + "k1", prefix + "k2", prefix + "k3", prefix + "k4");
            assertThat(client.list(prefix).kvs()).hasSize(5);

            TxnResult created = client.txn().ifAbsent(prefix + "cas").put(prefix + "cas", "a").commit();
            TxnResult again = client.txn().ifAbsent(prefix + "cas").put(prefix + "cas", "b").elseGet(prefix + "cas").commit();
            assertThat(created.succeeded()).isTrue();
            assertThat(again.succeeded()).isFalse();
            assertThat(again.elseGets()).extracting(Kv::value).containsExactly("a");

            long modRevision = again.elseGets().getFirst().modRevision();
            assertThat(client.txn().ifModRevision(prefix + "cas", modRevision).put(prefix + "cas", "c").commit().succeeded()).isTrue();
            assertThat(client.txn().ifModRevision(prefix + "cas", modRevision).put(prefix + "cas", "d").commit().succeeded())
                    .as("a compare on a stale mod revision").isFalse();
            assertThat(client.get(prefix + "cas")).map(Kv::value).contains("c");
            assertThat(client.deletePrefix(prefix)).isEqualTo(6);
        }
    }

    @Test
    void aWatchResumesOnAnotherMemberWithoutGapsOrDuplicates() {
        try (KvClient client = connect()) {
            List<WatchEvent> seen = new CopyOnWriteArrayList<>();
            long from = client.put(prefix + "start", "0");
            try (Watch watch = client.watch(prefix, from, events(seen))) {
                for (int i = 0; i < 20; i++) {
                    client.put(prefix + "before-" + i, "x");
                }
                Await.until("20 events before the kill", AWAIT, () -> seen.size() > 20 ? Optional.of(true) : Optional.empty(), seen::toString);
                Member watched = member(client.endpoint());
                cluster.kill9(watched);
                try {
                    for (int i = 0; i < 20; i++) {
                        client.put(prefix + "after-" + i, "x");
                    }
                    Await.until("41 events", AWAIT, () -> seen.size() >= 41 ? Optional.of(true) : Optional.empty(), seen::toString);
                } finally {
                    cluster.restart(watched);
                }
            }
            List<Long> revisions = seen.stream().map(WatchEvent::revision).toList();
            assertThat(revisions).as("every event once, in order").isSorted().doesNotHaveDuplicates().hasSize(41);
            assertThat(revisions.getFirst()).isEqualTo(from);
            assertThat(revisions.getLast() - revisions.getFirst()).as("no gap: one event per revision").isEqualTo(40);
        }
    }

    @Test
    void aWatchFromACompactedRevisionReportsTheCompaction() {
        try (KvClient client = connect()) {
            long first = client.put(prefix + "a", "1");
            long second = client.put(prefix + "a", "2");
            client.kvStub().compact(CompactionRequest.newBuilder().setRevision(second).setPhysical(true).build());
            AtomicLong compactedAt = new AtomicLong();
            try (Watch watch = client.watch(prefix, first, new WatchListener() {
                @Override
                public void onEvents(List<WatchEvent> events) {
                }

                @Override
                public void onCompacted(long compactRevision) {
                    compactedAt.set(compactRevision);
                }
            })) {
                Await.until("the compaction reported", AWAIT,
                        () -> compactedAt.get() > 0 ? Optional.of(true) : Optional.empty(), () -> "");
            }
            assertThat(compactedAt.get()).isEqualTo(second);
        }
    }

    @Test
    void aLeaseKeptAlivePastItsTtlAndItsLossReported() {
        try (KvClient client = connect()) {
            long lease = client.grantLease(2);
            client.put(prefix + "owned", "x", lease);
            AtomicReference<String> lost = new AtomicReference<>();
            try (KeepAlive keepAlive = client.keepAlive(lease, lost::set)) {
                Await.throughout("the leased key alive for twice its TTL", Duration.ofSeconds(5),
                        () -> client.get(prefix + "owned").isPresent() && lost.get() == null
                                ? Optional.empty() : Optional.of("gone; lost: " + lost.get()), () -> "");
                client.revokeLease(lease);
                String why = Await.until("the loss reported", AWAIT, () -> Optional.ofNullable(lost.get()), () -> "");
                assertThat(why).contains("expired");
                assertThat(keepAlive.isLost()).isTrue();
            }
        }
    }

    @Test
    void anInformerFollowsPutsAndDeletes() {
        try (KvClient client = connect()) {
            client.put(prefix + "a", "1");
            List<String> changes = new CopyOnWriteArrayList<>();
            try (Informer<Integer> informer = new Informer<>(client, prefix, Integer::parseInt)
                    .addListener((key, before, after) -> changes.add(key.substring(prefix.length()) + ":"
                            + (before == null ? "-" : before.value()) + ">" + (after == null ? "-" : after.value())))
                    .start()) {
                assertThat(informer.entries()).extracting(Informer.Entry::value).containsExactly(1);
                client.put(prefix + "b", "2");
                client.put(prefix + "a", "3");
                client.put(prefix + "bad", "not a number");
                long last = client.delete(prefix + "b");
                assertThat(last).isEqualTo(1);
                Await.until("four changes", AWAIT, () -> changes.size() >= 4 ? Optional.of(true) : Optional.empty(), changes::toString);
                assertThat(changes).containsExactly("a:->1", "b:->2", "a:1>3", "b:2>-");
                assertThat(informer.get(prefix + "a")).map(Informer.Entry::value).contains(3);
                assertThat(informer.get(prefix + "bad")).as("a value that does not decode is left out").isEmpty();
            }
        }
    }

    @Test
    void oneLeaderAtATimeAndAResignationHandsOver() {
        try (KvClient one = connect(); KvClient two = connect()) {
            List<String> events = new CopyOnWriteArrayList<>();
            LeaderElection first = new LeaderElection(one, prefix + "election", "first", 5, listener("first", events)).start();
            Await.until("first elected", AWAIT, () -> first.isLeader() ? Optional.of(true) : Optional.empty(), events::toString);
            LeaderElection second = new LeaderElection(two, prefix + "election", "second", 5, listener("second", events)).start();
            try {
                Await.until("second campaigning", AWAIT, () -> Optional.ofNullable(second.key()), events::toString);
                Await.throughout("one leader", Duration.ofSeconds(2),
                        () -> second.isLeader() ? Optional.of("two leaders") : Optional.empty(), events::toString);
                assertThat(second.leaderValue()).contains("first");
                long resignedAt = System.nanoTime();
                first.close();
                Await.until("second elected", Duration.ofSeconds(3),
                        () -> second.isLeader() ? Optional.of(true) : Optional.empty(), events::toString);
                assertThat(Duration.ofNanos(System.nanoTime() - resignedAt)).as("hand-over on resignation, not after a TTL")
                        .isLessThan(Duration.ofSeconds(3));
                assertThat(events).containsExactly("first elected", "first defeated: resigned", "second elected");
            } finally {
                second.close();
            }
        }
    }

    private static LeaderElection.Listener listener(String name, List<String> events) {
        return new LeaderElection.Listener() {
            @Override
            public void elected(LeaderElection election) {
                events.add(name + " elected");
            }

            @Override
            public void defeated(String why) {
                events.add(name + " defeated: " + why);
            }
        };
    }

    private static WatchListener events(List<WatchEvent> seen) {
        return new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                seen.addAll(events);
            }

            @Override
            public void onCompacted(long compactRevision) {
                throw new AssertionError("unexpected compaction at " + compactRevision);
            }
        };
    }

    private Member member(String endpoint) {
        List<Member> matching = new ArrayList<>(cluster.members().stream().filter(m -> m.clientUrl().equals(endpoint)).toList());
        assertThat(matching).as("the member behind " + endpoint).hasSize(1);
        return matching.getFirst();
    }
}
