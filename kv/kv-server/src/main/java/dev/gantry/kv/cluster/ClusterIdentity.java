package dev.gantry.kv.cluster;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

import dev.gantry.kv.api.raft.ClusterInfo;
import dev.gantry.kv.api.raft.MemberAttributes;
import dev.gantry.kv.api.raft.MemberSet;

/**
 * Who this member is and which cluster it belongs to, fixed when its data directory is first used and
 * recorded in {@code member/cluster.properties}. A restart on an existing data directory reads it back and
 * ignores the initial-cluster flags, as etcd does.
 *
 * <p>A member of a new cluster derives every ID from {@code --initial-cluster} and the token, as its peers do.
 * A member joining a running cluster ({@code --initial-cluster-state existing}) takes the cluster's token,
 * cluster ID and initial cluster from a peer, and the member ID it was added under ({@code member add}).
 *
 * @param initialCluster the cluster's initial members (not this member's flags when it joined later): every
 *                       member seeds its member set with them, so that replaying the Raft log from the start
 *                       gives every member the same set
 * @param joined         whether this member joined a running cluster (its Raft server starts with no peers
 *                       and is added by the leader) rather than being one of the initial members
 */
public record ClusterIdentity(String name, long memberId, long clusterId, String clusterToken,
                              Map<String, List<URI>> initialCluster, boolean joined) {
    static final String FILE = "cluster.properties";

    /** The identity recorded in the data directory, if it has one. */
    public static Optional<ClusterIdentity> load(MemberConfig config) {
        Path file = config.memberDir().resolve(FILE);
        return Files.exists(file) ? Optional.of(load(file)) : Optional.empty();
    }

    /** The recorded identity, or, on a first start with {@code --initial-cluster-state new}, a new one (recorded). */
    public static ClusterIdentity loadOrCreate(MemberConfig config) {
        return load(config).orElseGet(() -> {
            if (!config.newCluster()) {
                throw new IllegalStateException("--initial-cluster-state existing: this member joins a running "
                        + "cluster, whose members must be asked first");
            }
            ClusterIdentity identity = new ClusterIdentity(config.name(),
                    MemberId.of(config.name(), config.initialCluster().get(config.name()), config.clusterToken()),
                    clusterId(config.clusterToken(), config.initialCluster()), config.clusterToken(),
                    config.initialCluster(), false);
            identity.save(config.memberDir().resolve(FILE));
            return identity;
        });
    }

    /**
     * The identity of a member joining the running cluster described by {@code cluster}: the member added with
     * this member's peer URLs (recorded).
     */
    public static ClusterIdentity join(MemberConfig config, ClusterInfo cluster) {
        List<String> peerUrls = config.advertisePeerUrls().stream().map(URI::toString).toList();
        MemberAttributes added = Membership.withPeerUrls(cluster.getMembers(), peerUrls).orElseThrow(() ->
                new IllegalArgumentException("the cluster has no member with peer URLs " + peerUrls
                        + ": add this member first (etcdctl member add " + config.name() + " --peer-urls="
                        + String.join(",", peerUrls) + "), then start it with --initial-cluster-state existing"));
        ClusterIdentity identity = new ClusterIdentity(config.name(), added.getMemberId(), cluster.getClusterId(),
                cluster.getClusterToken(), MemberConfig.parseInitialCluster(cluster.getInitialCluster()), true);
        identity.save(config.memberDir().resolve(FILE));
        return identity;
    }

    /** What this member tells a member that is joining. */
    public ClusterInfo clusterInfo(MemberSet members) {
        return ClusterInfo.newBuilder()
                .setClusterToken(clusterToken)
                .setClusterId(clusterId)
                .setInitialCluster(initialClusterFlag())
                .setMembers(members)
                .build();
    }

    /** The member set a new store starts with: the initial members, all voters, named as in --initial-cluster. */
    public MemberSet initialMembers() {
        MemberSet.Builder set = MemberSet.newBuilder();
        initialCluster.forEach((member, urls) -> set.addMembers(MemberAttributes.newBuilder()
                .setMemberId(MemberId.of(member, urls, clusterToken))
                .setName(member)
                .addAllPeerUrls(urls.stream().map(URI::toString).toList())));
        return set.build();
    }

    /** The Raft group of this cluster: one per cluster token. */
    public UUID groupId() {
        return UUID.nameUUIDFromBytes(("gantry-kv/" + clusterToken).getBytes(StandardCharsets.UTF_8));
    }

    private static long clusterId(String token, Map<String, List<URI>> initialCluster) {
        return MemberId.cluster(token, initialCluster.entrySet().stream()
                .map(m -> MemberId.of(m.getKey(), m.getValue(), token)).toList());
    }

    private static ClusterIdentity load(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        String name = p.getProperty("name");
        String token = p.getProperty("initial-cluster-token");
        Map<String, List<URI>> initialCluster = MemberConfig.parseInitialCluster(p.getProperty("initial-cluster"));
        return new ClusterIdentity(name,
                Long.parseUnsignedLong(p.getProperty("member-id"), 16),
                Long.parseUnsignedLong(p.getProperty("cluster-id"), 16),
                token, initialCluster, Boolean.parseBoolean(p.getProperty("joined", "false")));
    }

    private void save(Path file) {
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("member-id", MemberId.hex(memberId));
        p.setProperty("cluster-id", MemberId.hex(clusterId));
        p.setProperty("initial-cluster-token", clusterToken);
        p.setProperty("initial-cluster", initialClusterFlag());
        p.setProperty("joined", String.valueOf(joined));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(FILE + ".tmp");
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(out, "Gantry KV member identity: written once, when this data directory was created");
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private String initialClusterFlag() {
        StringBuilder cluster = new StringBuilder();
        initialCluster.forEach((n, urls) -> urls.forEach(u -> cluster.append(cluster.isEmpty() ? "" : ",").append(n).append('=').append(u)));
        return cluster.toString();
    }
}
