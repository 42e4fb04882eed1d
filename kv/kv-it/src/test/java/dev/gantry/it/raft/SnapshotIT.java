package dev.gantry.it.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;

/**
 * Gantry's Raft snapshots: taken every {@code --snapshot-count} entries, and enough — with the log after them
 * — to rebuild a member whose KV store is gone.
 */
class SnapshotIT {
    private static final int KEYS = 300;

    @Test
    void aMemberWhoseStoreIsLostIsRebuiltFromItsSnapshotAndLog() throws Exception {
        try (Cluster cluster = Cluster.start(Implementation.GANTRY, 3, List.of("--snapshot-count", "50"))) {
            Member leader = cluster.leader();
            KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(cluster.channel(leader));
            for (int i = 0; i < KEYS; i++) {
                kv.put(PutRequest.newBuilder().setKey(key(i)).setValue(ByteString.copyFromUtf8("v" + i)).build());
            }
            long revision = kv.range(all(false)).getHeader().getRevision();

            Member victim = cluster.members().stream().filter(m -> m != leader).findFirst().orElseThrow();
            Await.until("a snapshot on " + victim, Duration.ofSeconds(30),
                    () -> snapshots(victim).isEmpty() ? Optional.empty() : Optional.of(true), () -> "");
            cluster.kill9(victim);
            deleteRecursively(victim.dataDir().resolve("member/kv"));

            cluster.restart(victim);

            KVGrpc.KVBlockingStub rebuilt = KVGrpc.newBlockingStub(cluster.channel(victim));
            RangeResponse all = Await.until("all keys back on " + victim, Duration.ofSeconds(30), () -> {
                RangeResponse r = rebuilt.range(all(true));
                return r.getCount() == KEYS ? Optional.of(r) : Optional.empty();
            }, () -> victim.logTail(Cluster.LOG_TAIL_LINES));
            assertThat(all.getKvsList()).extracting(k -> k.getValue().toStringUtf8())
                    .contains("v0", "v" + (KEYS / 2), "v" + (KEYS - 1));
            assertThat(all.getHeader().getRevision()).isGreaterThanOrEqualTo(revision);
            RangeResponse fromLeader = kv.range(all(false));
            assertThat(rebuilt.range(all(true)).getKvsList()).isEqualTo(fromLeader.getKvsList());
        }
    }

    private static List<Path> snapshots(Member member) {
        Path raft = member.dataDir().resolve("member/raft");
        if (!Files.exists(raft)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(raft)) {
            return files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RangeRequest all(boolean serializable) {
        return RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("/snap/"))
                .setRangeEnd(ByteString.copyFromUtf8("/snap0")).setSerializable(serializable).build();
    }

    private static ByteString key(int i) {
        return ByteString.copyFromUtf8(String.format("/snap/%05d", i));
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
