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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * Who this member is and which cluster it belongs to, fixed when its data directory is first used and
 * recorded in {@code member/cluster.properties}. A restart on an existing data directory reads it back and
 * ignores the initial-cluster flags, as etcd does.
 */
public record ClusterIdentity(String name, String clusterToken, Map<String, List<URI>> initialCluster) {
    static final String FILE = "cluster.properties";

    public static ClusterIdentity loadOrCreate(MemberConfig config) {
        Path file = config.memberDir().resolve(FILE);
        if (Files.exists(file)) {
            return load(file);
        }
        if (!config.newCluster()) {
            throw new IllegalArgumentException("--initial-cluster-state existing needs a member added with "
                    + "'etcdctl member add' first; joining a running cluster is not supported by this version yet");
        }
        ClusterIdentity identity = new ClusterIdentity(config.name(), config.clusterToken(), config.initialCluster());
        identity.save(file);
        return identity;
    }

    private static ClusterIdentity load(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return new ClusterIdentity(p.getProperty("name"), p.getProperty("initial-cluster-token"),
                MemberConfig.parseInitialCluster(p.getProperty("initial-cluster")));
    }

    private void save(Path file) {
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("initial-cluster-token", clusterToken);
        StringBuilder cluster = new StringBuilder();
        initialCluster.forEach((n, urls) -> urls.forEach(u -> cluster.append(cluster.isEmpty() ? "" : ",").append(n).append('=').append(u)));
        p.setProperty("initial-cluster", cluster.toString());
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

    public long memberId() {
        return memberId(name);
    }

    public long memberId(String member) {
        return MemberId.of(member, initialCluster.get(member), clusterToken);
    }

    public long clusterId() {
        return MemberId.cluster(clusterToken, initialCluster.keySet().stream().map(this::memberId).toList());
    }

    /** The Raft group of this cluster: one per cluster token. */
    public UUID groupId() {
        return UUID.nameUUIDFromBytes(("gantry-kv/" + clusterToken).getBytes(StandardCharsets.UTF_8));
    }

    /** Member name by member ID, in --initial-cluster order. */
    public Map<Long, String> membersById() {
        Map<Long, String> byId = new LinkedHashMap<>();
        initialCluster.keySet().forEach(n -> byId.put(memberId(n), n));
        return byId;
    }
}
