package dev.gantry.server.http;

import java.util.Map;
import java.util.TreeMap;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;

import dev.gantry.kv.metrics.Histogram;
import dev.gantry.kv.raft.KvMember;
import dev.gantry.kv.cluster.MemberId;

/**
 * {@code /metrics} in Prometheus's text format, with etcd's metric names and meanings, so that dashboards and
 * alerts written for etcd ({@code etcd_server_has_leader == 0}, leader changes, db size) work unchanged.
 */
@Path("/metrics")
public class MetricsResource {
    @Inject
    KvMember member;
    @Inject
    GrpcCallCounters grpcCalls;
    @Inject
    dev.gantry.server.jobs.SchedulerLifecycle scheduler;

    @GET
    @Produces("text/plain; version=0.0.4; charset=utf-8")
    public String metrics() {
        PrometheusText out = new PrometheusText();
        boolean hasLeader = member.hasLeader();
        out.gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.", hasLeader ? 1 : 0);
        out.gauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.",
                hasLeader && member.isLeader() ? 1 : 0);
        out.counter("etcd_server_leader_changes_seen_total", "The number of leader changes seen.", member.leaderChangesSeen());
        out.gauge("etcd_server_proposals_committed_total", "The total number of consensus proposals committed.",
                member.committedIndex());
        out.gauge("etcd_server_proposals_applied_total", "The total number of consensus proposals applied.",
                member.appliedIndex());
        out.gauge("etcd_server_proposals_pending", "The current number of pending proposals to commit.",
                member.proposalsPending());
        out.counter("etcd_server_proposals_failed_total", "The total number of failed proposals seen.",
                member.proposalsFailed());
        out.gauge("etcd_server_quota_backend_bytes", "Current backend storage quota size in bytes.", member.quotaBytes());
        out.gauge("etcd_mvcc_db_total_size_in_bytes", "Total size of the underlying database physically allocated in bytes.",
                member.dbSize());
        out.gauge("etcd_mvcc_db_total_size_in_use_in_bytes", "Total size of the underlying database logically in use in bytes.",
                member.dbSize());
        out.gauge("etcd_debugging_mvcc_keys_total", "Total number of keys.", member.keysTotal());
        out.gauge("etcd_debugging_mvcc_current_revision", "The current revision of store.", member.revision());
        out.gauge("etcd_debugging_mvcc_compact_revision", "The revision of the last compaction in store.",
                member.compactRevision());
        out.histogram("etcd_disk_wal_fsync_duration_seconds", "The latency distributions of fsync called by WAL.",
                member.raftLogSyncDurations().snapshot());
        out.histogram("etcd_disk_backend_commit_duration_seconds", "The latency distributions of commit called by backend.",
                member.backendCommitDurations().snapshot());
        Map<String, Histogram.Snapshot> roundTrips = new TreeMap<>();
        member.peerRoundTripTimes().forEach((id, h) -> roundTrips.put("To=\"" + MemberId.hex(id) + "\"", h.snapshot()));
        out.histograms("etcd_network_peer_round_trip_time_seconds", "Round-Trip-Time histogram between peers", roundTrips);
        grpcCalls.writeTo(out);
        scheduler.scheduler().ifPresent(s -> schedulerMetrics(out, s.metrics()));
        return out.toString();
    }

    private static void schedulerMetrics(PrometheusText out, dev.gantry.scheduler.SchedulerMetrics m) {
        out.gauge("gantry_scheduler_is_leader", "Whether this server's scheduler places tasks (elected). 1 if it does.", m.leader());
        out.gauge("gantry_scheduler_pending_tasks", "Pending tasks at the scheduler's last pass (leader only).", m.pending());
        out.counter("gantry_scheduler_placements_total", "Tasks this scheduler placed (claimed SCHEDULED).", m.placements());
        out.counter("gantry_scheduler_claim_conflicts_total",
                "Claim txns whose compares failed (task, node lease, node assignments or leadership changed).", m.conflicts());
        out.counter("gantry_scheduler_claim_txns_total", "Claim txns sent.", m.claimTxns());
        out.counter("gantry_scheduler_claim_seconds_total", "Time spent in claim txns; divide by claim_txns_total for the mean.",
                m.claimSeconds());
        out.counter("gantry_scheduler_requeued_total", "Tasks sent back to PENDING because their node was lost.", m.requeued());
        out.counter("gantry_scheduler_lost_failed_total", "Tasks failed because their node was lost past maxRetries.",
                m.failedLost());
        out.counter("gantry_scheduler_reason_writes_total", "Pending reasons written (only when they change).", m.reasonWrites());
        out.counter("gantry_scheduler_passes_total", "Scheduling passes run.", m.passes());
        out.gauge("gantry_scheduler_oldest_pending_seconds",
                "How long the longest-waiting pending task had been PENDING at the last pass (leader only).", m.oldestPendingSeconds());
        out.gauge("gantry_scheduler_nodes", "Nodes (live agents) at the last pass, in any operator state (leader only).", m.nodes());
        out.counter("gantry_scheduler_nodes_lost_total",
                "Nodes whose agent vanished (lease ended) while schedulable; cordoned or draining ones are not counted.", m.nodesLost());
        Map<String, Long> finished = new TreeMap<>();
        m.finished().forEach((status, count) -> finished.put("status=\"" + status + "\"", count));
        out.counters("gantry_scheduler_tasks_finished_total",
                "Tasks this server saw reach a final status since it started (every server counts them).", finished);
    }
}
