package dev.gantry.it.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.google.protobuf.ByteString;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Etcdctl;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.SnapshotRequest;
import dev.gantry.kv.api.etcd.SnapshotResponse;
import io.grpc.Context;

/**
 * {@code etcdctl snapshot save} against one member (the implementation chosen by {@code -Dit.impl}): the Snapshot
 * stream and the file it becomes, and a restore that refuses a damaged file. Gantry's own promises (no dump left
 * under the data directory, clear refusals) are checked on Gantry only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SnapshotSaveIT {
    private static final Duration AWAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    Cluster cluster;
    Member member;

    @BeforeAll
    void startCluster() {
        cluster = Cluster.start(1);
        member = cluster.members().get(0);
        KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(member.channel());
        for (int i = 0; i < 200; i++) {
            kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("/save/" + i))
                    .setValue(ByteString.copyFromUtf8("value " + i + " ".repeat(200))).build());
        }
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void etcdctlSavesTheStreamFollowedByItsSha256() throws Exception {
        Path file = dir.resolve("backup.db");
        Etcdctl.Result save = Etcdctl.of(member).run("snapshot", "save", file.toString());
        assertThat(save.succeeded()).as("%s", save).isTrue();
        assertThat(save.stdout()).contains("Snapshot saved at " + file);

        byte[] saved = Files.readAllBytes(file);
        assertThat(saved.length).as("etcdctl 3.4 keeps only files of 512n + 32 bytes").isGreaterThan(32);
        assertThat(saved.length % 512).isEqualTo(32);
        assertThat(Arrays.copyOfRange(saved, saved.length - 32, saved.length))
                .isEqualTo(sha256(Arrays.copyOf(saved, saved.length - 32)));
        assertNoDumpLeft();
    }

    @Test
    void theStreamSaysHowManyBytesAreStillToComeThenSendsTheirSha256() throws Exception {
        List<SnapshotResponse> messages = new ArrayList<>();
        MaintenanceGrpc.newBlockingStub(member.channel()).snapshot(SnapshotRequest.getDefaultInstance())
                .forEachRemaining(messages::add);

        assertThat(messages).hasSizeGreaterThan(2);
        List<SnapshotResponse> data = messages.subList(0, messages.size() - 1);
        long total = data.stream().mapToLong(m -> m.getBlob().size()).sum();
        long sent = 0;
        ByteString stream = ByteString.EMPTY;
        for (SnapshotResponse m : data) {
            assertThat(m.getBlob().size()).isPositive().isLessThanOrEqualTo(32 * 1024);
            sent += m.getBlob().size();
            assertThat(m.getRemainingBytes()).isEqualTo(total - sent);
            stream = stream.concat(m.getBlob());
        }
        SnapshotResponse last = messages.get(messages.size() - 1);
        assertThat(last.getRemainingBytes()).isZero();
        assertThat(last.getBlob().toByteArray()).isEqualTo(sha256(stream.toByteArray()));
        assertNoDumpLeft();
    }

    @Test
    void aClientThatGoesAwayMidStreamLeavesNoDumpBehind() {
        assumeTrue(cluster.implementation() == Implementation.GANTRY, "Gantry's dump files");
        KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(member.channel());
        ByteString mebibyte = ByteString.copyFrom(new byte[1 << 20]);
        // More than the server buffers ahead of a client that does not read (8 MiB), so the stream is still going.
        for (int i = 0; i < 16; i++) {
            kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("/save/big/" + i)).setValue(mebibyte).build());
        }
        Context.CancellableContext call = Context.current().withCancellation();
        try {
            SnapshotResponse first = call.call(() -> {
                Iterator<SnapshotResponse> stream = MaintenanceGrpc.newBlockingStub(member.channel())
                        .snapshot(SnapshotRequest.getDefaultInstance());
                return stream.next();
            });
            assertThat(first.getRemainingBytes()).isGreaterThan(16L << 20);
            assertThat(first.getHeader().getMemberId()).isEqualTo(member.id());
            assertThat(dumps()).hasSize(1);
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            call.cancel(null);
        }
        Await.until("the dump deleted after the client cancelled", AWAIT,
                () -> dumps().isEmpty() ? Optional.of(true) : Optional.empty(), () -> member.logTail(Cluster.LOG_TAIL_LINES));
    }

    @Test
    void restoreRefusesAFileWithAFlippedByte() throws Exception {
        Path file = dir.resolve("flipped.db");
        assertThat(Etcdctl.of(member).run("snapshot", "save", file.toString()).succeeded()).isTrue();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);

        try (Cluster fresh = Cluster.create(cluster.implementation(), 1)) {
            Member target = fresh.members().get(0);
            Etcdctl.Result restore = fresh.restore(target, file);
            assertThat(restore.succeeded()).as("%s", restore).isFalse();
            if (fresh.implementation() == Implementation.GANTRY) { // etcd 3.4 leaves a partial member/ directory
                assertThat(restore.stderr()).contains(file + " failed its integrity check");
                assertThat(target.dataDir()).doesNotExist();
            } else {
                assertThat(restore.stderr()).contains("expected sha256");
            }
        }
    }

    @Test
    void gantryRefusesWhatIsNotASnapshotAndATargetThatHoldsData() throws Exception {
        assumeTrue(cluster.implementation() == Implementation.GANTRY, "gantry snapshot restore's messages");
        Path good = dir.resolve("good.db");
        assertThat(Etcdctl.of(member).run("snapshot", "save", good.toString()).succeeded()).isTrue();
        byte[] bytes = Files.readAllBytes(good);
        Path truncated = Files.write(dir.resolve("truncated.db"), Arrays.copyOf(bytes, bytes.length / 2));
        Path foreign = Files.write(dir.resolve("foreign.db"), "SQLite format 3\0 not ours".getBytes());

        try (Cluster fresh = Cluster.create(Implementation.GANTRY, 1)) {
            Member target = fresh.members().get(0);
            assertRefused(fresh, target, truncated, truncated + " failed its integrity check");
            assertRefused(fresh, target, foreign, foreign + ": not a Gantry KV snapshot");
            Path missing = dir.resolve("missing.db");
            assertRefused(fresh, target, missing, "snapshot file " + missing + " does not exist");
            assertThat(target.dataDir()).doesNotExist();

            Path precious = Files.createDirectories(target.dataDir()).resolve("precious");
            Files.writeString(precious, "keep me");
            Etcdctl.Result refused = fresh.restore(target, good);
            assertThat(refused.succeeded()).as("%s", refused).isFalse();
            assertThat(refused.stderr()).contains("--data-dir " + target.dataDir() + " exists and is not empty");
            try (Stream<Path> left = Files.list(target.dataDir())) {
                assertThat(left).containsExactly(precious);
            }
        }
    }

    private static void assertRefused(Cluster fresh, Member target, Path file, String message) {
        Etcdctl.Result restore = fresh.restore(target, file);
        assertThat(restore.succeeded()).as("%s", restore).isFalse();
        assertThat(restore.stderr()).contains(message);
    }

    /** On Gantry, the dumps the Snapshot RPC streams from; none for etcd, which streams from its database. */
    private List<Path> dumps() {
        Path dumps = member.dataDir().resolve("member/snapshot-dumps");
        if (!Files.isDirectory(dumps)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dumps)) {
            return files.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The dump is deleted once the stream has ended: maybe just after the client got the last message. */
    private void assertNoDumpLeft() {
        Await.until("no dump left under the data directory", AWAIT,
                () -> dumps().isEmpty() ? Optional.of(true) : Optional.empty(), () -> dumps().toString());
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
