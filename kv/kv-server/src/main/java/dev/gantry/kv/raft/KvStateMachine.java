package dev.gantry.kv.raft;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.MD5FileUtil;
import org.jboss.logging.Logger;

import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.api.raft.BatchResult;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.api.raft.LeaseRecord;
import dev.gantry.kv.auth.TokenChange;
import dev.gantry.kv.auth.TokenTable;
import dev.gantry.kv.lease.Lessor;
import dev.gantry.kv.mvcc.LeaseChange;
import dev.gantry.kv.mvcc.MvccStore;
import dev.gantry.kv.mvcc.MvccView;
import dev.gantry.kv.watch.WatchHub;

/**
 * The Raft state machine of Gantry KV: applies command batches to the {@link MvccStore} on Xodus.
 *
 * <p>Contract with Ratis: {@link #applyTransaction} runs on Ratis's single updater thread in log order; each
 * entry is one Xodus transaction that also records the applied index, so entries Ratis replays after a
 * restart (everything after the last snapshot) are recognised and skipped. The {@link AppliedIndex} advances
 * once an entry is committed in Xodus: linearizable reads wait there for their read index, then read Xodus
 * directly (Ratis's own read path is not used, see {@link HeartbeatQuorum}). A snapshot is a logical dump of
 * the store in {@code sm/}; the live Xodus environment lives outside {@code sm/}, because installing a snapshot
 * from the leader replaces that directory.
 *
 * <p>After each entry commits, its events go to the {@link WatchHub}, its lease grants and revokes to the
 * {@link Lessor}, and the tokens it issued or revoked to the {@link TokenTable}; leadership changes promote and
 * demote the lessor (only the leader expires leases).
 */
public final class KvStateMachine extends BaseStateMachine {
    private static final Logger LOG = Logger.getLogger(KvStateMachine.class);
    private static final Message EMPTY = Message.valueOf("");

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final MvccStore store;
    private final WatchHub watchHub;
    private final Lessor lessor;
    private final TokenTable tokens;
    private final long leaseExtensionNanos;
    private final java.util.concurrent.atomic.AtomicLong leaderChangesSeen = new java.util.concurrent.atomic.AtomicLong();
    private final AppliedIndex appliedIndex = new AppliedIndex();
    private volatile CompletableFuture<Void> leaderReady = new CompletableFuture<>();

    /** What one applied entry did: the replies, and what watchers, the lessor and the token table must hear of. */
    private record Applied(BatchResult result, List<Event> events, List<LeaseChange> leaseChanges,
                           List<TokenChange> tokenChanges, long authRevision) {
    }

    /** @param leaseExtensionNanos how much longer than their TTL leases live on a new leader (the election timeout) */
    KvStateMachine(MvccStore store, WatchHub watchHub, Lessor lessor, TokenTable tokens, long leaseExtensionNanos) {
        this.store = store;
        this.watchHub = watchHub;
        this.lessor = lessor;
        this.tokens = tokens;
        this.leaseExtensionNanos = leaseExtensionNanos;
    }

    /** The leases in the store, for the lessor. */
    static Map<Long, Long> leaseTtls(MvccStore store) {
        return store.read(MvccView::leases).stream().collect(Collectors.toMap(LeaseRecord::getId, LeaseRecord::getTtl));
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        loadLatestSnapshot();
    }

    @Override
    public void reinitialize() throws IOException {
        storage.loadLatestSnapshot();
        loadLatestSnapshot();
    }

    /**
     * Ratis re-applies every entry after its latest snapshot. The store is usually ahead of that snapshot;
     * if it is behind (a snapshot installed from the leader, or a store lost), it is rebuilt from the snapshot.
     */
    private void loadLatestSnapshot() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.getLatestSnapshot();
        if (snapshot == null) {
            return;
        }
        TermIndex at = snapshot.getTermIndex();
        if (store.appliedIndex() < at.getIndex()) {
            Path file = snapshot.getFile().getPath();
            LOG.infof("restoring the KV store from snapshot %s (store was at index %d)", file, store.appliedIndex());
            try (InputStream in = Files.newInputStream(file)) {
                store.restore(in, at.getTerm(), at.getIndex());
            }
            lessor.reset(leaseTtls(store));
            tokens.reset(store.read(MvccView::authRevision));
            watchHub.reset();
        }
        setLastAppliedTermIndex(at);
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        TermIndex termIndex = TermIndex.valueOf(entry);
        Applied applied;
        try {
            CommandBatch batch = CommandBatch.parseFrom(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
            applied = store.write(termIndex.getTerm(), termIndex.getIndex(), view -> {
                List<TokenChange> tokenChanges = new ArrayList<>();
                BatchResult result = CommandApplier.apply(view, batch, tokenChanges).toBuilder()
                        .setAppliedIndex(termIndex.getIndex()).build();
                return new Applied(result, view.events(), view.leaseChanges(), tokenChanges, view.authRevision());
            });
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("undecodable Raft entry " + termIndex, e));
        }
        if (applied != null && (!applied.tokenChanges().isEmpty() || applied.authRevision() != tokens.revision())) {
            // before the index counts as applied: a member that caught up to it knows its tokens
            tokens.apply(applied.tokenChanges(), applied.authRevision());
        }
        updateLastAppliedTermIndex(termIndex);
        if (applied == null) {
            return CompletableFuture.completedFuture(EMPTY); // applied before a restart
        }
        for (LeaseChange change : applied.leaseChanges()) {
            if (change.revoked()) {
                lessor.revoked(change.leaseId());
            } else {
                lessor.granted(change.leaseId(), change.ttl());
            }
        }
        watchHub.publish(applied.events(), store.revision());
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(applied.result().toByteArray())));
    }

    /** What linearizable reads wait on: it advances with every entry applied, ours and Ratis's own alike. */
    AppliedIndex appliedIndex() {
        return appliedIndex;
    }

    @Override
    protected boolean updateLastAppliedTermIndex(TermIndex newTermIndex) {
        boolean updated = super.updateLastAppliedTermIndex(newTermIndex);
        advanceAppliedIndex(newTermIndex);
        return updated;
    }

    @Override
    protected void setLastAppliedTermIndex(TermIndex termIndex) {
        super.setLastAppliedTermIndex(termIndex);
        advanceAppliedIndex(termIndex);
    }

    private void advanceAppliedIndex(TermIndex termIndex) {
        if (appliedIndex != null) { // null while BaseStateMachine's constructor sets its initial index
            appliedIndex.advance(termIndex.getIndex());
        }
    }

    // ---- leadership: only the leader runs lease clocks ----

    /**
     * Completes once this member leads and has applied the first entry of its term (Ratis's "leader ready"): only
     * then does a new leader know its commit index. While it does not lead, it waits for the next time it does.
     */
    CompletableFuture<Void> leaderReady() {
        return leaderReady;
    }

    @Override
    public void notifyLeaderReady() {
        lessor.promote(leaseExtensionNanos);
        leaderReady.complete(null);
    }

    @Override
    public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
        lessor.demote();
        notLeading();
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId self, RaftPeerId newLeader) {
        if (!self.getPeerId().equals(newLeader)) {
            lessor.demote();
            notLeading();
        }
        if (newLeader != null) {
            leaderChangesSeen.incrementAndGet();
        }
    }

    private void notLeading() {
        if (leaderReady.isDone()) {
            leaderReady = new CompletableFuture<>();
        }
    }

    /** etcd's {@code etcd_server_leader_changes_seen_total}: leaders this member has seen elected, the first included. */
    long leaderChangesSeen() {
        return leaderChangesSeen.get();
    }

    /** Runs on the updater thread with applying paused, so the dump matches the last applied index exactly. */
    @Override
    public long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return -1;
        }
        store.sync(); // Raft may purge its log up to this index: the store must be durable first
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        File tmp = new File(file.getParentFile(), "." + file.getName() + ".tmp");
        try (FileOutputStream out = new FileOutputStream(tmp)) {
            store.dump(out);
            out.getFD().sync();
        }
        Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE);
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
        LOG.debugf("snapshot %s taken", file);
        return last.getIndex();
    }

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        return storage.getLatestSnapshot();
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }
}
