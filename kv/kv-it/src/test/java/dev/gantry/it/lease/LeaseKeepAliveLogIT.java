package dev.gantry.it.lease;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrantResponse;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveResponse;
import dev.gantry.kv.api.etcd.StatusResponse;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keep-alives are not replicated: 10,000 leases (TTL 30 s) on a 3-member cluster (the implementation chosen by
 * {@code -Dit.impl}), renewed for 60 s over four LeaseKeepAlive streams (two to the leader, one to each follower),
 * each lease every 3 s (well under TTL/3), add no entries to the Raft log, and keep every lease alive. The TTL
 * leaves room for the grants: the first lease must not expire before the last one is granted and renewals start
 * (granting 10,000 takes etcd 3–6 s and Gantry, on a JVM just started, 10–20 s on a 2-core box).
 *
 * <p>Asserted, from Maintenance.Status of every member read once the grants are applied everywhere and again after
 * the 60 s: {@code raftIndex} (and {@code raftAppliedIndex}, when the implementation fills it in; etcd 3.4 does)
 * grew by at most {@value #LOG_SLACK} entries, and {@code raftTerm} did not change; then LeaseLeases lists all
 * 10,000 leases and a sample of them reports the granted TTL and a remaining TTL above 0, and every lease's last
 * keep-alive response carried TTL 30 (0 would mean the lease was gone).
 *
 * <p>The slack: the minute sends about 200,000 renewals, so one log entry per renewal, per round, or even per
 * lease would exceed it by orders of magnitude, while a handful of entries that have nothing to do with leases
 * (a member's own bookkeeping) would not fail the test. etcd 3.4 (without the experimental lease checkpoints, off
 * by default) adds none: followers forward each renewal to the leader over HTTP, and the leader renews in memory.
 */
class LeaseKeepAliveLogIT {

    private static final int LEASES = 10_000;
    private static final long TTL = 30;
    private static final Duration RENEW_INTERVAL = Duration.ofSeconds(3);
    private static final Duration KEEP_ALIVE_FOR = Duration.ofSeconds(60);
    private static final int GRANTS_IN_FLIGHT = 200;
    private static final int LOG_SLACK = 3;
    private static final int SAMPLE = 100;
    private static final Duration AWAIT = Duration.ofSeconds(120);

    @Test
    void renewingTenThousandLeasesForAMinuteAddsNoRaftLogEntriesAndLosesNoLease() {
        try (Cluster cluster = Cluster.start(3)) {
            Member leader = cluster.leader();
            List<Member> followers = cluster.members().stream().filter(member -> member != leader).toList();

            long grantStart = System.nanoTime();
            List<Long> leases = grantAll(cluster);
            long grantMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - grantStart);
            assertThat(Duration.ofMillis(grantMillis)).as("granting took longer than a TTL: the first leases may "
                    + "have expired before renewals started").isLessThan(Duration.ofSeconds(TTL - 5));

            Map<Member, StatusResponse> before = settledStatus(cluster);

            List<List<Long>> shares = IntStream.range(0, 4)
                    .mapToObj(i -> IntStream.range(0, LEASES).filter(n -> n % 4 == i).mapToObj(leases::get).toList())
                    .toList();
            List<Member> targets = List.of(leader, leader, followers.get(0), followers.get(1));
            List<KeepAliver> keepAlivers = new ArrayList<>();
            Map<Member, StatusResponse> after;
            try {
                for (int i = 0; i < targets.size(); i++) {
                    keepAlivers.add(KeepAliver.start(targets.get(i), shares.get(i), RENEW_INTERVAL));
                }
                // Status of every member throughout the minute: fail at the first sign of the log growing.
                Await.throughout("raft index unchanged while leases are renewed", KEEP_ALIVE_FOR,
                        () -> grown(cluster, before), () -> summary(keepAlivers));
                after = status(cluster);
                String report = "LeaseKeepAliveLogIT (" + cluster.implementation() + "): " + LEASES
                        + " leases granted in " + grantMillis + " ms; raft index before " + indexes(before) + ", after "
                        + indexes(after) + "; " + summary(keepAlivers);
                System.out.println(report);

                for (Member member : cluster.members()) {
                    StatusResponse was = before.get(member);
                    StatusResponse is = after.get(member);
                    assertThat(is.getRaftTerm()).as("raft term of %s; %s", member, report).isEqualTo(was.getRaftTerm());
                    assertThat(is.getRaftIndex()).as("raft index of %s; %s", member, report)
                            .isLessThanOrEqualTo(was.getRaftIndex() + LOG_SLACK);
                    assertThat(is.getRaftAppliedIndex()).as("raft applied index of %s; %s", member, report)
                            .isLessThanOrEqualTo(was.getRaftAppliedIndex() + LOG_SLACK);
                }
                for (KeepAliver keepAliver : keepAlivers) {
                    assertThat(keepAliver.longestGapBetweenRounds()).as("the test's own pacing; %s", keepAliver.summary())
                            .isLessThan(Duration.ofSeconds(TTL / 2));
                }
                assertAllAlive(cluster, leader, leases, keepAlivers);
            } finally {
                keepAlivers.forEach(KeepAliver::close);
            }
        }
    }

    private static void assertAllAlive(Cluster cluster, Member leader, List<Long> leases, List<KeepAliver> keepAlivers) {
        Map<Long, KeepAliver.Ack> lastAcks = new LinkedHashMap<>();
        keepAlivers.forEach(keepAliver -> lastAcks.putAll(keepAliver.lastAcks()));
        long now = System.nanoTime();
        List<Long> stale = leases.stream().filter(id -> {
            KeepAliver.Ack ack = lastAcks.get(id);
            return ack == null || ack.ttl() != TTL || now - ack.nanos() > Duration.ofSeconds(TTL).toNanos();
        }).toList();
        assertThat(stale).as("leases without a recent keep-alive response of TTL %d (first 10: %s); %s", TTL,
                stale.stream().limit(10).map(id -> id + "=" + lastAcks.get(id)).toList(), summary(keepAlivers))
                .isEmpty();

        Set<Long> listed = new HashSet<>(LeaseExpiryIT.leases(leader));
        assertThat(leases.stream().filter(id -> !listed.contains(id)).count()).as("granted leases missing from "
                + "LeaseLeases on the leader").isZero();
        for (int i = 0; i < SAMPLE; i++) {
            long id = leases.get(i * (LEASES / SAMPLE));
            Member member = cluster.members().get(i % cluster.members().size());
            LeaseTimeToLiveResponse ttl = LeaseExpiryIT.lease(member)
                    .leaseTimeToLive(LeaseExpiryIT.timeToLive(id, false));
            assertThat(ttl.getGrantedTTL()).as("granted TTL of lease %x on %s", id, member).isEqualTo(TTL);
            assertThat(ttl.getTTL()).as("remaining TTL of lease %x on %s", id, member).isPositive();
        }
    }

    /** Grants the leases, up to {@value #GRANTS_IN_FLIGHT} at a time, spread over the members; returns their IDs. */
    private static List<Long> grantAll(Cluster cluster) {
        Semaphore inFlight = new Semaphore(GRANTS_IN_FLIGHT);
        Queue<Long> granted = new ConcurrentLinkedQueue<>();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < LEASES && failures.isEmpty(); i++) {
            inFlight.acquireUninterruptibly();
            Member member = cluster.members().get(i % cluster.members().size());
            LeaseGrpc.newStub(member.channel()).withDeadlineAfter(AWAIT.toSeconds(), TimeUnit.SECONDS)
                    .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(TTL).build(), new StreamObserver<>() {
                        @Override
                        public void onNext(LeaseGrantResponse response) {
                            granted.add(response.getID());
                        }

                        @Override
                        public void onError(Throwable error) {
                            failures.add(error);
                            inFlight.release();
                        }

                        @Override
                        public void onCompleted() {
                            inFlight.release();
                        }
                    });
        }
        inFlight.acquireUninterruptibly(GRANTS_IN_FLIGHT);
        assertThat(failures).as("failed grants").isEmpty();
        assertThat(granted).as("granted leases").hasSize(LEASES).doesNotHaveDuplicates();
        return List.copyOf(granted);
    }

    /**
     * Status of every member once the log is settled: all report the same raft index, have applied it (when they
     * report an applied index), and report it again a moment later.
     */
    private static Map<Member, StatusResponse> settledStatus(Cluster cluster) {
        AtomicReference<Map<Member, StatusResponse>> previous = new AtomicReference<>();
        return Await.until("the same raft index, applied, on every member", AWAIT, () -> {
            Map<Member, StatusResponse> now = status(cluster);
            Set<Long> indexes = now.values().stream().map(StatusResponse::getRaftIndex).collect(Collectors.toSet());
            boolean applied = now.values().stream()
                    .allMatch(s -> s.getRaftAppliedIndex() == 0 || s.getRaftAppliedIndex() == s.getRaftIndex());
            Map<Member, StatusResponse> last = previous.getAndSet(now);
            boolean settled = indexes.size() == 1 && applied && last != null && indexes(last).equals(indexes(now));
            return settled ? Optional.of(now) : Optional.empty();
        }, () -> "last: " + (previous.get() == null ? "none" : indexes(previous.get())));
    }

    private static Map<Member, StatusResponse> status(Cluster cluster) {
        Map<Member, StatusResponse> status = new LinkedHashMap<>();
        cluster.members().forEach(member -> status.put(member, cluster.status(member)));
        return status;
    }

    /** Which member's raft index grew past the slack, if any. */
    private static Optional<String> grown(Cluster cluster, Map<Member, StatusResponse> before) {
        Map<Member, StatusResponse> now = status(cluster);
        for (Member member : cluster.members()) {
            if (now.get(member).getRaftIndex() > before.get(member).getRaftIndex() + LOG_SLACK) {
                return Optional.of("raft index of " + member + " grew: before " + indexes(before) + ", now "
                        + indexes(now));
            }
        }
        return Optional.empty();
    }

    private static String indexes(Map<Member, StatusResponse> status) {
        return status.entrySet().stream().map(e -> e.getKey().name() + "=" + e.getValue().getRaftIndex() + "/"
                + e.getValue().getRaftAppliedIndex() + "@" + e.getValue().getRaftTerm())
                .collect(Collectors.joining(", ", "{", "}"));
    }

    private static String summary(List<KeepAliver> keepAlivers) {
        return keepAlivers.stream().map(KeepAliver::summary).collect(Collectors.joining("; "));
    }
}
