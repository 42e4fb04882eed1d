package dev.gantry.kv.raft;

import java.io.File;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.cluster.Urls;

/** Ratis configuration derived from etcd's flags. */
final class RaftSettings {
    private RaftSettings() {
    }

    static RaftProperties server(MemberConfig config) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(new File(config.memberDir().toFile(), "raft")));
        RaftConfigKeys.Rpc.setType(p, new ConvergingLogAppender.Transport());

        URI listen = config.listenPeerUrls().get(0);
        GrpcConfigKeys.Server.setHost(p, Urls.host(listen));
        GrpcConfigKeys.Server.setPort(p, listen.getPort());

        // etcd's election timeout E: a follower campaigns after a random silence in [E, 1.5 E]. Ratis derives
        // its heartbeat period from the minimum (E / 2); etcd's --heartbeat-interval has no direct equivalent.
        long election = config.electionTimeout().toMillis();
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(election, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(election * 3 / 2, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(Math.max(3000, 2 * election), TimeUnit.MILLISECONDS));

        // No Read.Option: linearizable reads do not go through Ratis (its read-index can skip confirming that the
        // leader still leads, see HeartbeatQuorum); every member serves them by our own read-index.

        // Snapshots keep the log bounded; a member that fell further behind than the preserved tail gets one.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        // etcd's --snapshot-count counts applied entries; etcd keeps 5,000 entries for catching up.
        long snapshotCount = config.snapshotCount();
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, snapshotCount);
        RaftServerConfigKeys.Snapshot.setCreationGap(p, Math.min(1024, snapshotCount));
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, snapshotCount));
        RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, Math.min(5000, snapshotCount / 2));

        // Ratis records each new commit index as a metadata entry. It costs every member a second append and
        // fsync per batch, but it is how followers learn promptly that an entry committed: without it they apply
        // only at the next append or heartbeat (E / 2 later when idle), and a client that wrote through a
        // follower would not read its write there (a serializable read, a watch after a compaction).

        // Send appends as soon as entries are there: Ratis's default waits 10 ms between two appendEntries
        // calls to gather entries, which caps a lone client at ~100 writes/s. Batching happens in Proposer.
        RaftServerConfigKeys.Log.Appender.setWaitTimeMin(p, TimeDuration.ZERO);

        // An entry is a batch of at most MAX_BATCH_BYTES, or one request of up to max-request-bytes.
        long entryLimit = Math.max(4L << 20, 2L * Math.max(Proposer.MAX_BATCH_BYTES, config.maxRequestBytes()));
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(entryLimit));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(entryLimit + (64 << 10)));
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(2 * entryLimit));
        applyOverrides(p);
        return p;
    }

    /**
     * Expert escape hatch: a JVM system property {@code ratis.<ratis key>=<value>} (e.g.
     * {@code -Dratis.raft.server.log.force.sync.num=64} in GANTRY_JAVA_OPTS) sets that Ratis key directly.
     */
    private static void applyOverrides(RaftProperties p) {
        System.getProperties().stringPropertyNames().stream()
                .filter(name -> name.startsWith("ratis.raft."))
                .forEach(name -> p.set(name.substring("ratis.".length()), System.getProperty(name)));
    }

    static RaftProperties client(MemberConfig config) {
        RaftProperties p = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, 4096);
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(Math.max(16L << 20, 8L * config.maxRequestBytes())));
        return p;
    }
}
