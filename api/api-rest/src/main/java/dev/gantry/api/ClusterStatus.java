package dev.gantry.api;

import java.util.List;

/**
 * {@code GET /api/v1/cluster}: the store's members and health, from etcd's Maintenance and Cluster RPCs as asked
 * of the member this server's client is connected to. Member ids are hex, as etcdctl prints them.
 *
 * @param quotaBytes the answering member's space quota, where it reports one (0: unknown)
 */
public record ClusterStatus(
        String clusterId,
        String memberId,
        String leader,
        String leaderName,
        long raftTerm,
        long raftIndex,
        long revision,
        long dbSize,
        long dbSizeInUse,
        long quotaBytes,
        String version,
        List<Member> members,
        List<Alarm> alarms,
        List<String> errors) {

    public record Member(String id, String name, List<String> peerUrls, List<String> clientUrls, boolean learner) {
    }

    public record Alarm(String memberId, String alarm) {
    }
}
