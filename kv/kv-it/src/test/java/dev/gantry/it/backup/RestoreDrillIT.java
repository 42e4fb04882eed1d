package dev.gantry.it.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.protobuf.ByteString;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Etcdctl;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.HashKVRequest;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveRequest;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveResponse;
import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The restore drill etcd's operators run, on the implementation chosen by {@code -Dit.impl}: write 10,000 keys
 * (some rewritten, some deleted, one on a lease, history compacted part way), {@code etcdctl snapshot save}, stop
 * the cluster, restore the file into a new 3-member cluster (new data dirs, new ports) with the implementation's
 * restore command, start it: every key with its revisions and version, the store revision, the compaction and the
 * lease are there, writes go on from the next revision, and the new members hash their history as the old did.
 */
class RestoreDrillIT {
    private static final int KEYS = 10_000;
    private static final int PUTS_PER_TXN = 100;
    private static final long LEASE_TTL = 3600;
    private static final Duration AWAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void aSnapshotRestoredIntoANewClusterHasEveryKeyAndRevision() {
        Implementation implementation = Implementation.fromSystemProperty();
        Path snapshot = dir.resolve("drill.db");
        RangeResponse before;
        long compactedAt;
        long leaseId;
        int hashBefore;
        try (Cluster old = Cluster.start(implementation, 3)) {
            Member leader = old.leader();
            KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(leader.channel());
            putKeys(kv, 0, KEYS, "v1-");
            compactedAt = kv.range(all()).getHeader().getRevision();
            kv.compact(CompactionRequest.newBuilder().setRevision(compactedAt).setPhysical(true).build());
            putKeys(kv, 0, 1000, "v2-");
            putKeys(kv, 0, 100, "v3-");
            kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(key(9000)).setRangeEnd(key(9100)).build());
            leaseId = LeaseGrpc.newBlockingStub(leader.channel())
                    .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(LEASE_TTL).build()).getID();
            kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("/drill/leased"))
                    .setValue(ByteString.copyFromUtf8("on a lease")).setLease(leaseId).build());
            before = kv.range(all());
            hashBefore = MaintenanceGrpc.newBlockingStub(leader.channel())
                    .hashKV(HashKVRequest.newBuilder().setRevision(before.getHeader().getRevision()).build()).getHash();

            Etcdctl.Result save = Etcdctl.of(leader).run("snapshot", "save", snapshot.toString());
            assertThat(save.succeeded()).as("%s", save).isTrue();
        }
        long revision = before.getHeader().getRevision();
        assertThat(before.getCount()).isEqualTo(KEYS - 100 + 1);

        try (Cluster restored = Cluster.create(implementation, 3)) {
            for (Member member : restored.members()) {
                Etcdctl.Result restore = restored.restore(member, snapshot);
                assertThat(restore.succeeded()).as("restoring %s: %s", member, restore).isTrue();
            }
            restored.startAll();

            for (Member member : restored.members()) {
                RangeResponse after = KVGrpc.newBlockingStub(member.channel()).range(all());
                assertThat(after.getHeader().getRevision()).as("store revision on %s", member).isEqualTo(revision);
                assertThat(after.getCount()).isEqualTo(before.getCount());
                assertThat(after.getKvsList()).as("every key on %s", member).isEqualTo(before.getKvsList());
            }
            KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(restored.leader().channel());
            assertThatThrownBy(() -> kv.range(all().toBuilder().setRevision(compactedAt - 1).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE));
            LeaseTimeToLiveResponse lease = LeaseGrpc.newBlockingStub(restored.leader().channel())
                    .leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(leaseId).setKeys(true).build());
            assertThat(lease.getGrantedTTL()).isEqualTo(LEASE_TTL);
            assertThat(lease.getTTL()).isPositive();
            assertThat(lease.getKeysList()).containsExactly(ByteString.copyFromUtf8("/drill/leased"));

            Await.until("every restored member hashing the history up to " + revision + " as the old cluster did", AWAIT,
                    () -> hashesAt(restored, revision).equals(Set.of(hashBefore)) ? Optional.of(true) : Optional.empty(),
                    () -> "hashes " + hashesAt(restored, revision) + ", old cluster " + hashBefore);

            PutResponse next = kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("/drill/after"))
                    .setValue(ByteString.copyFromUtf8("restored")).build());
            assertThat(next.getHeader().getRevision()).isEqualTo(revision + 1);
            assertThat(kv.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("/drill/after")).build())
                    .getKvs(0).getModRevision()).isEqualTo(revision + 1);
        }
    }

    /** Puts keys {@code [from, to)} with values {@code prefix + i}, {@value #PUTS_PER_TXN} per txn (one revision each). */
    private static void putKeys(KVGrpc.KVBlockingStub kv, int from, int to, String prefix) {
        for (int start = from; start < to; start += PUTS_PER_TXN) {
            TxnRequest.Builder txn = TxnRequest.newBuilder();
            for (int i = start; i < Math.min(to, start + PUTS_PER_TXN); i++) {
                txn.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                        .setKey(key(i)).setValue(ByteString.copyFromUtf8(prefix + i))));
            }
            assertThat(kv.txn(txn.build()).getSucceeded()).isTrue();
        }
    }

    private static Set<Integer> hashesAt(Cluster cluster, long revision) {
        Set<Integer> hashes = new HashSet<>();
        for (Member member : cluster.members()) {
            hashes.add(MaintenanceGrpc.newBlockingStub(member.channel())
                    .hashKV(HashKVRequest.newBuilder().setRevision(revision).build()).getHash());
        }
        return hashes;
    }

    private static RangeRequest all() {
        return RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("/drill/"))
                .setRangeEnd(ByteString.copyFromUtf8("/drill0")).build();
    }

    private static ByteString key(int i) {
        return ByteString.copyFromUtf8(String.format("/drill/%05d", i));
    }
}
