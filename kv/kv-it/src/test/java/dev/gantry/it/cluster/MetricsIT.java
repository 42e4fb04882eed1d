package dev.gantry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} (Prometheus text, etcd's names, gRPC call counters included) and etcd's {@code /health} on a 3-member cluster (the
 * implementation chosen by {@code -Dit.impl}; etcd serves them on the client URL, Gantry on its HTTP URL),
 * through a leader kill: a member that loses its leader reports {@code etcd_server_has_leader 0} and
 * {@code /health} false, and once a leader is back, {@code etcd_server_leader_changes_seen_total} has grown.
 * Two of the three members are killed so that the survivor stays leaderless until they return (with one
 * member down a new leader would follow within a second, too briefly to scrape for sure). And the disk and
 * network latency histograms operators alert on: WAL fsyncs, and the round-trip time to each peer.
 */
class MetricsIT {
    private static final Duration AWAIT = Duration.ofSeconds(30);

    @Test
    void aMemberWithoutLeaderSaysSoAndCountsTheNextLeaderChange() {
        try (Cluster cluster = Cluster.start(3)) {
            Member leader = cluster.leader();
            List<Member> followers = cluster.members().stream().filter(m -> m != leader).toList();
            Member survivor = followers.get(0);
            Await.until("a leader known to every member's metrics", AWAIT, () ->
                    cluster.members().stream().allMatch(m -> metric(cluster, m, "etcd_server_has_leader") == 1)
                            ? Optional.of(true) : Optional.empty(), cluster::toString);
            assertThat(cluster.members().stream().mapToDouble(m -> metric(cluster, m, "etcd_server_is_leader")).sum())
                    .as("members reporting etcd_server_is_leader 1").isEqualTo(1);
            assertThat(metric(cluster, leader, "etcd_server_is_leader")).isEqualTo(1);
            assertThat(metric(cluster, survivor, "etcd_mvcc_db_total_size_in_bytes")).isPositive();
            assertThat(MemberHttp.health(cluster, survivor)).contains("\"health\":\"true\"");
            double changesBefore = metric(cluster, survivor, "etcd_server_leader_changes_seen_total");
            // gRPC calls are counted as etcd's go-grpc-prometheus counts them
            String rangesOk = "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Range\","
                    + "grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";
            assertThat(Etcdctl.of(survivor).run("get", "/metrics-it/k").succeeded()).isTrue();
            assertThat(metric(cluster, survivor, rangesOk)).isGreaterThanOrEqualTo(1);
            assertThat(changesBefore).isGreaterThanOrEqualTo(1);

            cluster.kill9(leader);
            cluster.kill9(followers.get(1));
            Await.until("etcd_server_has_leader 0 on the survivor", AWAIT, () ->
                    metric(cluster, survivor, "etcd_server_has_leader") == 0 ? Optional.of(true) : Optional.empty(),
                    cluster::toString);
            assertThat(MemberHttp.health(cluster, survivor)).contains("\"health\":\"false\"");

            cluster.restart(List.of(leader, followers.get(1)));
            Await.until("a leader again, one more leader change seen by the survivor", AWAIT, () ->
                    metric(cluster, survivor, "etcd_server_has_leader") == 1
                            && metric(cluster, survivor, "etcd_server_leader_changes_seen_total") > changesBefore
                            ? Optional.of(true) : Optional.empty(), cluster::toString);
        }
    }

    @Test
    void everyMemberTimesItsWalFsyncsAndItsRoundTripsToEachPeer() {
        try (Cluster cluster = Cluster.start(3)) {
            Etcdctl etcdctl = Etcdctl.of(cluster);
            for (int i = 0; i < 5; i++) {
                assertThat(etcdctl.run("put", "/metrics-it/w" + i, "v").succeeded()).isTrue();
            }
            String fsync = "etcd_disk_wal_fsync_duration_seconds";
            String rtt = "etcd_network_peer_round_trip_time_seconds";
            for (Member member : cluster.members()) {
                List<String> toPeers = cluster.members().stream().filter(peer -> peer != member)
                        .map(peer -> "To=\"" + Long.toHexString(peer.id()) + "\"").toList();
                // etcd records a peer's round-trip time 5 s after it connects, then every 30 s
                String metrics = Await.until(member.name() + " reporting WAL fsyncs and a round-trip time to each peer",
                        AWAIT, () -> {
                            String text = MemberHttp.metrics(cluster, member);
                            return MemberHttp.value(text, fsync + "_count").orElse(0.0) > 0
                                    && toPeers.stream().allMatch(to -> MemberHttp.value(text, rtt + "_count{" + to + "}").orElse(0.0) > 0)
                                    ? Optional.of(text) : Optional.empty();
                        }, cluster::toString);
                // etcd's buckets: fsyncs 1 ms to 8.192 s, round trips 0.1 ms to 3.2768 s, then +Inf, which is the count
                assertThat(MemberHttp.value(metrics, fsync + "_bucket{le=\"0.001\"}")).isPresent();
                assertThat(MemberHttp.value(metrics, fsync + "_bucket{le=\"8.192\"}")).isPresent();
                assertThat(MemberHttp.value(metrics, fsync + "_bucket{le=\"+Inf\"}")).isEqualTo(MemberHttp.value(metrics, fsync + "_count"));
                for (String to : toPeers) {
                    assertThat(MemberHttp.value(metrics, rtt + "_bucket{" + to + ",le=\"0.0001\"}")).isPresent();
                    assertThat(MemberHttp.value(metrics, rtt + "_bucket{" + to + ",le=\"3.2768\"}")).isPresent();
                    assertThat(MemberHttp.value(metrics, rtt + "_bucket{" + to + ",le=\"+Inf\"}"))
                            .isEqualTo(MemberHttp.value(metrics, rtt + "_count{" + to + "}"));
                    assertThat(MemberHttp.value(metrics, rtt + "_sum{" + to + "}").orElseThrow()).isPositive();
                }
            }
        }
    }

    private double metric(Cluster cluster, Member member, String name) {
        return MemberHttp.metric(cluster, member, name)
                .orElseThrow(() -> new AssertionError(name + " missing from the metrics of " + member.name()));
    }
}
