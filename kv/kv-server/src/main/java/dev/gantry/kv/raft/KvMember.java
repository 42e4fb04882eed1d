package dev.gantry.kv.raft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;
import org.jboss.logging.Logger;

import dev.gantry.kv.api.etcd.AlarmMember;
import dev.gantry.kv.api.etcd.AlarmRequest;
import dev.gantry.kv.api.etcd.AlarmType;
import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveResponse;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveRequest;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveResponse;
import dev.gantry.kv.api.etcd.Member;
import dev.gantry.kv.api.etcd.MemberPromoteRequest;
import dev.gantry.kv.api.etcd.MemberRemoveRequest;
import dev.gantry.kv.api.etcd.MemberUpdateRequest;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.raft.BatchResult;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.api.raft.KeepAliveBatch;
import dev.gantry.kv.api.raft.KeepAliveTtls;
import dev.gantry.kv.api.raft.AdmitRequest;
import dev.gantry.kv.api.raft.AdmitResponse;
import dev.gantry.kv.api.raft.ClusterInfo;
import dev.gantry.kv.api.raft.MemberAttributes;
import dev.gantry.kv.api.raft.MemberSet;
import dev.gantry.kv.auth.Authenticator;
import dev.gantry.kv.auth.TokenTable;
import dev.gantry.kv.cluster.ClusterIdentity;
import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.cluster.MemberId;
import dev.gantry.kv.cluster.Membership;
import dev.gantry.kv.cluster.Urls;
import dev.gantry.kv.lease.Lessor;
import dev.gantry.kv.metrics.Histogram;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.EtcdException;
import dev.gantry.kv.mvcc.MvccStore;
import dev.gantry.kv.mvcc.MvccView;
import dev.gantry.kv.snapshot.SnapshotDump;
import dev.gantry.kv.snapshot.SnapshotStream;
import dev.gantry.kv.watch.WatchHub;
import dev.gantry.kv.watch.WatchStream;

/**
 * One member of a Gantry KV cluster: its {@link MvccStore} on Xodus, the Ratis server that replicates into
 * it, and the Ratis client through which it proposes writes (to whichever member leads) and obtains read
 * indexes. The gRPC edge talks to this class only.
 */
public final class KvMember implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KvMember.class);
    /**
     * Raft entries this member may have in flight. One: on a CPU-bound box the cost is per entry, so while an
     * entry replicates, every request that arrives joins the next one (measured: docs/benchmarks.md).
     */
    private static final int PROPOSALS_IN_FLIGHT = Integer.getInteger("gantry.kv.proposals-in-flight", 1);
    /** How often the leader looks for expired leases, and how many revokes it proposes per look (etcd: 500 ms, 1000/s). */
    private static final long LEASE_EXPIRY_TICK_MS = 100;
    private static final int LEASE_REVOKES_PER_TICK = 100;
    /** A lease call waiting for a leader (or for this leader to be ready) looks again after this long. */
    private static final long LEASE_RETRY_MS = 100;
    /** How often membership is tended: admission of a joined member, the leader's reconciliation, removal. */
    private static final long MEMBERSHIP_TICK_MS = 500;
    private static final long JOIN_RETRY_MS = 500;
    /** How often each peer's round-trip time is measured, and how long a probe may take (etcd: every 4 s, 5 s). */
    private static final long PEER_PROBE_INTERVAL_MS = 4000;
    private static final long PEER_PROBE_DEADLINE_MS = 3000;
    /** How often tokens past their TTL are dropped from memory (lookups ignore them at once). */
    private static final long TOKEN_SWEEP_MS = 10_000;

    private final MemberConfig config;
    private final ClusterIdentity identity;
    /** Hashes of the identity, computed once: every response header carries them. */
    private final long memberId;
    private final long clusterId;
    private final RaftPeerId selfPeerId;
    private final MvccStore store;
    private final RaftServer server;
    private final RaftGroupId groupId;
    private final RaftClient client;
    private final RaftGateway raft;
    private final Proposer proposer;
    private final Forwarding forwarding;
    private final ReadBarrier readBarrier;
    private final ExecutorService readers;
    private final ExecutorService readIndexThread;
    private final ScheduledExecutorService timer;
    private final Lessor lessor;
    private final LocalLeases localLeases = new LocalLeases();
    private final KeepAliveBatcher keepAlives;
    private final KvStateMachine stateMachine;
    private final Histogram raftLogSyncs;
    private final PeerProber peerProber;
    private final WatchHub watchHub;
    private final ExecutorService watchSenders;
    private final long requestTimeoutMs;
    private final ScheduledExecutorService membershipThread;
    private final MembershipReconciler reconciler;
    /** Where a joining member asks to be admitted: the voters it knew of when it started. */
    private final List<String> knownVoters;
    private final SpaceQuota quota;
    private final TokenTable tokens;
    private final ExecutorService passwordHashing;
    private final Authenticator authenticator;
    private volatile RaftServer.Division division;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Void> removed = new CompletableFuture<>();
    private final boolean learnerWhenJoined;
    /**
     * Whether the leader has confirmed this member is in the Raft configuration. A joined member asks once per
     * start (the leader answers at once if it already is): its own view of the configuration cannot tell, since
     * a learner starts with itself in it.
     */
    private volatile boolean admitted;
    /** When this member first saw its own removal applied (System.nanoTime), 0 before; membership thread only. */
    private long removedSeen;

    private KvMember(MemberConfig config) throws IOException {
        this.config = config;
        // etcd's request timeout: 5 s + 2 × election timeout
        this.requestTimeoutMs = 5000 + 2 * config.electionTimeout().toMillis();
        PeerTls peerTls = PeerTls.of(config.peerCredentials());
        this.forwarding = new Forwarding(requestTimeoutMs, peerTls);
        ClusterInfo joining = null;
        ClusterIdentity recorded = ClusterIdentity.load(config).orElse(null);
        if (recorded == null && !config.newCluster()) {
            joining = askPeers(config, forwarding, requestTimeoutMs);
            recorded = ClusterIdentity.join(config, joining);
        }
        this.identity = recorded != null ? recorded : ClusterIdentity.loadOrCreate(config);
        this.memberId = identity.memberId();
        this.clusterId = identity.clusterId();
        this.selfPeerId = RaftPeers.id(memberId);
        this.store = MvccStore.open(config.storeDir());
        SnapshotDump.deleteLeftovers(dumpDir());
        store.seedMembers(identity.initialMembers());
        MemberSet members = store.members();
        if (members.getRemovedList().contains(memberId)) {
            store.close();
            throw new IllegalStateException("member " + MemberId.hex(memberId) + " was removed from the cluster and "
                    + "cannot serve again; to bring this machine back, delete " + config.dataDir()
                    + ", run 'etcdctl member add', and start with --initial-cluster-state existing");
        }
        MemberSet known = joining != null ? joining.getMembers() : members;
        this.learnerWhenJoined = Membership.find(known, memberId).map(MemberAttributes::getIsLearner).orElse(false);
        this.knownVoters = known.getMembersList().stream()
                .filter(m -> !m.getIsLearner() && m.getMemberId() != memberId)
                .map(m -> RaftPeers.of(m).getAddress()).toList();
        this.quota = new SpaceQuota(config.quotaBackendBytes());
        this.lessor = new Lessor();
        lessor.reset(KvStateMachine.leaseTtls(store));
        this.watchHub = new WatchHub(store, config.watchProgressNotifyInterval());
        this.watchSenders = Executors.newFixedThreadPool(2, new DaemonThreads("kv-watch-send"));
        this.tokens = new TokenTable(store.read(MvccView::authRevision));
        this.stateMachine = new KvStateMachine(store, watchHub, lessor, tokens, config.electionTimeout().toNanos());
        this.groupId = RaftGroupId.valueOf(identity.groupId());
        this.raftLogSyncs = RaftLogSyncs.of(selfPeerId);
        RaftProperties properties = RaftSettings.server(config);
        Parameters parameters = peerTls.parameters();
        HeartbeatQuorum heartbeats = new HeartbeatQuorum(requestTimeoutMs);
        parameters.put(HeartbeatQuorum.PARAMETER, heartbeats, HeartbeatQuorum.class);
        GrpcConfigKeys.Server.setServicesCustomizer(parameters, (builder, types) -> types.contains(GrpcServices.Type.SERVER)
                ? builder.addService(Forwarding.service(() -> division().isLeader(), this::proposeOnLeader,
                        () -> stateMachine.appliedIndex().get(), this::leaderReadIndex, lessor::isPrimary, localLeases,
                        new JoiningMembers()))
                : builder);
        this.server = RaftServer.newBuilder()
                .setServerId(selfPeerId)
                .setGroup(serverGroup(known))
                .setProperties(properties)
                .setParameters(parameters)
                .setStateMachine(stateMachine)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        this.client = RaftClient.newBuilder()
                .setProperties(RaftSettings.client(config))
                .setRaftGroup(RaftGroup.valueOf(groupId, known.getMembersList()
                        .stream().filter(m -> !m.getIsLearner()).map(RaftPeers::of).toList()))
                .setClientId(ClientId.randomId())
                .setParameters(peerTls.parameters())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        (int) (requestTimeoutMs / 100), TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
        this.raft = new RaftGateway(server, groupId, selfPeerId, client, PROPOSALS_IN_FLIGHT, heartbeats,
                stateMachine::leaderReady, config.electionTimeout().toMillis());
        this.proposer = new Proposer(this::submit, this::appliedHere, PROPOSALS_IN_FLIGHT);
        this.membershipThread = Executors.newSingleThreadScheduledExecutor(new DaemonThreads("kv-membership"));
        this.reconciler = new MembershipReconciler(() -> raftDivision().getRaftConf(),
                () -> store.members(), client);
        this.peerProber = new PeerProber(selfPeerId, () -> peersOf(raftDivision().getRaftConf()),
                RaftPeers::memberId, forwarding::ping, PEER_PROBE_DEADLINE_MS);
        this.keepAlives = new KeepAliveBatcher(forwarding::keepAlive);
        this.readIndexThread = Executors.newSingleThreadExecutor(new DaemonThreads("kv-read-index"));
        this.readBarrier = new ReadBarrier(this::readIndex, stateMachine.appliedIndex(), readIndexThread,
                requestTimeoutMs);
        this.readers = Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
                new DaemonThreads("kv-read"));
        this.timer = Executors.newSingleThreadScheduledExecutor(new DaemonThreads("kv-timer"));
        this.passwordHashing = Executors.newFixedThreadPool(2, new DaemonThreads("kv-password-hash"));
        this.authenticator = new Authenticator(tokens, store, readBarrier::await, this::execute, passwordHashing);
    }

    /** Where the Snapshot RPC puts its dumps while it streams them. */
    private Path dumpDir() {
        return config.memberDir().resolve("snapshot-dumps");
    }

    /** Opens the store and starts the Raft server; the member then elects or follows a leader on its own. */
    public static KvMember start(MemberConfig config) {
        try {
            if (config.quotaBackendBytes() > MemberConfig.SUGGESTED_MAX_QUOTA_BACKEND_BYTES) {
                LOG.warnf("--quota-backend-bytes %d exceeds the suggested maximum of %d bytes (8 GiB)",
                        config.quotaBackendBytes(), MemberConfig.SUGGESTED_MAX_QUOTA_BACKEND_BYTES);
            }
            if (UNSAFE_LOCAL_READS) {
                LOG.warn("gantry.test.unsafe-local-reads=true: linearizable reads skip the read-index round and may "
                        + "be stale. A test-only switch: never use it for real data");
            }
            KvMember member = new KvMember(config);
            member.server.start();
            member.publishAttributes();
            member.membershipThread.scheduleWithFixedDelay(member::tendMembership, 0, MEMBERSHIP_TICK_MS,
                    TimeUnit.MILLISECONDS);
            member.timer.scheduleWithFixedDelay(member::expireLeases, LEASE_EXPIRY_TICK_MS, LEASE_EXPIRY_TICK_MS,
                    TimeUnit.MILLISECONDS);
            member.startAutoCompaction();
            member.timer.scheduleWithFixedDelay(member.tokens::expire, TOKEN_SWEEP_MS, TOKEN_SWEEP_MS, TimeUnit.MILLISECONDS);
            member.timer.scheduleWithFixedDelay(member.peerProber::probe, LEASE_EXPIRY_TICK_MS, PEER_PROBE_INTERVAL_MS,
                    TimeUnit.MILLISECONDS);
            LOG.infof("member %s (%s) started%s, data in %s", member.identity.name(), MemberId.hex(member.memberId()),
                    member.identity.joined() ? " (joined a running cluster)" : ": initial cluster " + member.identity.initialCluster(),
                    config.dataDir().toAbsolutePath());
            return member;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the KV member: " + e.getMessage(), e);
        }
    }

    /**
     * The Raft group the server starts with: the initial members for a member of a new cluster; none for a member
     * joining a running one, which learns the configuration from the leader once admitted. (On restarts Ratis
     * uses the configuration recorded in its own log instead.)
     */
    private RaftGroup serverGroup(MemberSet known) {
        if (identity.joined() && learnerWhenJoined) {
            // A learner starts as a Ratis listener in the cluster it joins: Ratis starts a peer outside the
            // configuration as "initializing", and only staging (which listeners skip) would ever end that.
            List<RaftPeer> peers = new ArrayList<>(known.getMembersList().stream()
                    .filter(m -> !m.getIsLearner() && m.getMemberId() != memberId).map(RaftPeers::of).toList());
            peers.add(RaftPeer.newBuilder().setId(selfPeerId).setAddress(RaftPeers.of(Membership.find(known, memberId)
                    .orElseThrow()).getAddress()).setStartupRole(RaftPeerRole.LISTENER).build());
            return RaftGroup.valueOf(groupId, peers);
        }
        if (identity.joined()) {
            return RaftGroup.valueOf(groupId);
        }
        return RaftGroup.valueOf(groupId, identity.initialMembers().getMembersList().stream().map(RaftPeers::of).toList());
    }

    /**
     * What a member starting with {@code --initial-cluster-state existing} learns from the peers named in its
     * {@code --initial-cluster}: the cluster's identity and members (the first peer that answers and already
     * lists this member wins; a peer that has not applied the {@code member add} yet is asked again).
     */
    private static ClusterInfo askPeers(MemberConfig config, Forwarding forwarding, long timeoutMs) {
        List<String> ownUrls = config.advertisePeerUrls().stream().map(URI::toString).toList();
        List<String> peers = config.initialCluster().entrySet().stream()
                .filter(m -> !m.getKey().equals(config.name()))
                .map(m -> Urls.hostPort(m.getValue().get(0))).toList();
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("--initial-cluster-state existing: --initial-cluster must name the "
                    + "running members to join, besides this one");
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * timeoutMs);
        ClusterInfo last = null;
        Throwable lastError = null;
        while (System.nanoTime() < deadline) {
            for (String peer : peers) {
                try {
                    ClusterInfo info = forwarding.clusterInfo(peer).get(timeoutMs, TimeUnit.MILLISECONDS);
                    if (Membership.withPeerUrls(info.getMembers(), ownUrls).isPresent()) {
                        return info;
                    }
                    last = info;
                } catch (Exception e) {
                    lastError = e;
                }
            }
            try {
                Thread.sleep(JOIN_RETRY_MS); // a retry interval between rounds of asking, not synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (last != null) {
            return last; // ClusterIdentity.join explains that this member was not added
        }
        throw new IllegalStateException("cannot join: no member of " + peers + " answered"
                + (lastError != null ? " (" + lastError.getMessage() + ")" : ""), lastError);
    }

    /**
     * Announces this member's name and client URLs through Raft, retrying until a leader accepts it; the
     * member is {@link #started()} once the announcement is applied here too.
     */
    private void publishAttributes() {
        Command publish = Command.newBuilder().setPublishMember(MemberAttributes.newBuilder()
                .setMemberId(memberId())
                .setName(identity.name())
                .addAllClientUrls(config.advertiseClientUrls().stream().map(URI::toString).toList()))
                .build();
        propose(publish).whenComplete((r, e) -> {
            if (e == null) {
                awaitPublished(publish.getPublishMember());
            } else if (!timer.isShutdown()) {
                LOG.debugf("publishing member attributes failed (%s); retrying", e.getMessage());
                timer.schedule(this::publishAttributes, 500, TimeUnit.MILLISECONDS);
            }
        });
    }

    /** Waits until this member has applied its own announcement (learners cannot use a read-index round). */
    private void awaitPublished(MemberAttributes published) {
        boolean applied = Membership.find(store.members(), memberId)
                .filter(m -> m.getName().equals(published.getName())
                        && m.getClientUrlsList().equals(published.getClientUrlsList()))
                .isPresent();
        if (applied) {
            started.complete(null);
        } else if (!timer.isShutdown()) {
            timer.schedule(() -> awaitPublished(published), 100, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Where this member's entries go: into the local Raft log when it leads; else to the leader's proposer,
     * which batches them with everyone else's; with no leader known, through the Ratis client, which waits
     * for one. A forward the leader refused before proposing is retried through the client; any other
     * failure is reported, never retried, since the leader may have proposed it. The clients are answered once
     * this member has applied the entries too ({@link #appliedHere}).
     */
    private CompletableFuture<BatchResult> submit(CommandBatch batch) {
        if (raftDivision().getInfo().isLeader()) {
            return raft.proposeLocally(batch);
        }
        return leaderAddress().map(leader -> forwarding.forward(leader, batch).exceptionallyCompose(e ->
                        Forwarding.isNotLeader(e) ? raft.proposeViaClient(batch) : CompletableFuture.failedFuture(e)))
                .orElseGet(() -> raft.proposeViaClient(batch));
    }

    /**
     * As etcd, a member acknowledges a write only once it has applied it itself, so that what the client does next
     * on the same member sees it: a serializable read, or a watch from below a compaction it just acknowledged
     * (which must be canceled). The leader's replies come after its own apply; a follower waits for its applier,
     * at most the request timeout (then the write's outcome is unknown to the client, as with etcd's timeouts).
     */
    private CompletableFuture<BatchResult> appliedHere(BatchResult result) {
        CompletableFuture<Void> applied = stateMachine.appliedIndex().reach(result.getAppliedIndex());
        if (applied.isDone()) {
            return CompletableFuture.completedFuture(result);
        }
        // off the applier's thread, which completes the waiters: the replies are not its work
        return applied.thenApplyAsync(ignored -> result, readers).orTimeout(requestTimeoutMs, TimeUnit.MILLISECONDS);
    }

    /** The peer address of the leader this member knows of, when that is another member. */
    private Optional<String> leaderAddress() {
        RaftServer.Division division = raftDivision();
        RaftPeerId leader = division.getInfo().getLeaderId();
        return Optional.ofNullable(leader == null || leader.equals(selfPeerId) ? null
                : division.getRaftConf().getPeer(leader)).map(RaftPeer::getAddress);
    }

    /** What the leader answers a follower's ReadIndex. */
    private CompletableFuture<Long> leaderReadIndex() {
        return raft.leaderReadIndex();
    }

    /**
     * The read index of a linearizable read: this member's own when it leads, else the leader's, asked over the
     * peer link (as etcd followers ask theirs). Fails at once when no leader is known.
     */
    private CompletableFuture<Long> readIndex() {
        if (raftDivision().getInfo().isLeader()) {
            return leaderReadIndex();
        }
        return leaderAddress().map(leader -> forwarding.readIndex(leader).exceptionallyCompose(e ->
                        CompletableFuture.<Long>failedFuture(Forwarding.isNotLeader(e)
                                ? EtcdError.LEADER_CHANGED.exception() : Forwarding.toEtcd(e))))
                .orElseGet(() -> CompletableFuture.failedFuture(EtcdError.NO_LEADER.exception()));
    }

    // ---- membership ----

    /**
     * etcd's MemberAdd: records a new member (voter or learner) under a fresh ID. It enters the Raft configuration
     * once it starts with {@code --initial-cluster-state existing} and the leader has caught it up.
     */
    public CompletableFuture<MemberChange> addMember(List<String> peerUrls, boolean learner) {
        if (!validPeerUrls(peerUrls)) {
            return CompletableFuture.failedFuture(EtcdError.MEMBER_BAD_URLS.exception());
        }
        Member member = Member.newBuilder()
                .setID(MemberId.added(peerUrls, identity.clusterToken(), System.currentTimeMillis()))
                .addAllPeerURLs(peerUrls)
                .setIsLearner(learner)
                .build();
        return changeMembers(Command.newBuilder().setMemberAdd(member).build())
                .thenApply(change -> new MemberChange(member, change.members()));
    }

    /** etcd's MemberRemove; the leader then takes the member out of the Raft configuration, and it shuts down. */
    public CompletableFuture<MemberChange> removeMember(long id) {
        return changeMembers(Command.newBuilder().setMemberRemove(MemberRemoveRequest.newBuilder().setID(id)).build());
    }

    public CompletableFuture<MemberChange> updateMember(long id, List<String> peerUrls) {
        if (!validPeerUrls(peerUrls)) {
            return CompletableFuture.failedFuture(EtcdError.MEMBER_BAD_URLS.exception());
        }
        return changeMembers(Command.newBuilder().setMemberUpdate(MemberUpdateRequest.newBuilder().setID(id)
                .addAllPeerURLs(peerUrls)).build());
    }

    /**
     * etcd's MemberPromote: only a learner that has started and been caught up (it is in the Raft configuration,
     * which Ratis admits it to only once caught up) may become a voter.
     */
    public CompletableFuture<MemberChange> promoteMember(long id) {
        MemberAttributes member = Membership.find(store.members(), id).orElse(null);
        if (member != null && member.getIsLearner()
                && raftDivision().getRaftConf().getPeer(RaftPeers.id(id), RaftPeerRole.LISTENER) == null) {
            return CompletableFuture.failedFuture(EtcdError.LEARNER_NOT_READY.exception());
        }
        return changeMembers(Command.newBuilder().setMemberPromote(MemberPromoteRequest.newBuilder().setID(id)).build());
    }

    /** At least one URL, each one a peer URL as {@code --initial-advertise-peer-urls} takes it. */
    private static boolean validPeerUrls(List<String> peerUrls) {
        try {
            peerUrls.forEach(url -> Urls.parse("peer-urls", url));
            return !peerUrls.isEmpty();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A membership change as applied: the member added (for MemberAdd), and the members right after it. */
    public record MemberChange(Member member, List<Member> members) {
    }

    private CompletableFuture<MemberChange> changeMembers(Command command) {
        return execute(command).thenApply(result -> new MemberChange(null, etcdMembers(result.getMembers())));
    }

    /** Completes when this member has been removed from the cluster and should stop (etcd exits). */
    public CompletableFuture<Void> removed() {
        return removed;
    }

    /**
     * Runs on the membership thread: a joined member asks to be admitted until it is in the configuration; the
     * leader makes the configuration follow the member set; a removed member, once no longer leading, reports it.
     */
    private void tendMembership() {
        try {
            MemberSet members = store.members();
            if (members.getRemovedList().contains(memberId)) {
                // Stay until the configuration without this member is in the log: until then the leader may still
                // need this member's vote to commit it (say, removing one of two members).
                RaftConfiguration conf = raftDivision().getRaftConf();
                boolean inConfiguration = division().isAlive() && (!conf.getPreviousPeers().isEmpty()
                        || conf.getPeer(selfPeerId, RaftPeerRole.FOLLOWER, RaftPeerRole.LISTENER) != null);
                if (removedSeen == 0) {
                    removedSeen = System.nanoTime();
                }
                boolean overdue = System.nanoTime() - removedSeen > TimeUnit.MILLISECONDS.toNanos(2 * requestTimeoutMs);
                if (inConfiguration && isLeader()) {
                    reconciler.reconcile(); // takes this member out: Ratis hands leadership on and stops this server
                } else if ((!inConfiguration || overdue) && !removed.isDone()) {
                    LOG.warnf("this member (%s) has been removed from the cluster; stopping", MemberId.hex(memberId));
                    removed.complete(null);
                }
                return;
            }
            if (isLeader()) {
                reconciler.reconcile();
            } else if (identity.joined() && !admitted) {
                askToBeAdmitted();
            }
        } catch (Exception e) {
            LOG.debugf("membership: %s", e.getMessage());
        }
    }

    private void askToBeAdmitted() throws InterruptedException {
        AdmitRequest request = AdmitRequest.newBuilder().setMemberId(memberId).build();
        for (String peer : knownVoters) {
            try {
                forwarding.admit(peer, request).get(requestTimeoutMs, TimeUnit.MILLISECONDS);
                admitted = true;
                LOG.infof("admitted into the cluster by %s", peer);
                return;
            } catch (ExecutionException | TimeoutException e) {
                LOG.debugf("%s did not admit this member: %s", peer, e.getMessage());
            }
        }
    }

    /** The peer-port questions of joining members. */
    private final class JoiningMembers implements Forwarding.Joining {
        @Override
        public ClusterInfo clusterInfo() {
            return identity.clusterInfo(store.members());
        }

        @Override
        public CompletableFuture<AdmitResponse> admit(AdmitRequest request) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    reconciler.admit(request.getMemberId());
                    return AdmitResponse.getDefaultInstance();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, membershipThread);
        }
    }

    /** A command forwarded by a follower, proposed by this member, the leader. */
    private CompletableFuture<CommandResult> proposeOnLeader(Command command) {
        return proposer.propose(command);
    }

    // ---- the API the gRPC edge uses ----

    /**
     * Completes once this member has published its attributes and applied them: like etcd, which serves
     * clients only after its "publish", so that a member that answers is listed with its name and URLs.
     */
    public CompletableFuture<Void> started() {
        return started;
    }

    /** Proposes a write through Raft; completes with its result once applied on this member's leader. */
    public CompletableFuture<CommandResult> propose(Command command) {
        return proposer.propose(command)
                .orTimeout(requestTimeoutMs, TimeUnit.MILLISECONDS)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(RaftErrors.toEtcd(e)));
    }

    /**
     * {@link #propose} after the space quota check at the edge ({@link #checkSpace}: puts, txns with puts, lease
     * grants), failing with the etcd error of a command the state machine refused.
     */
    public CompletableFuture<CommandResult> execute(Command command) {
        return checkSpace(SpaceQuota.cost(command)).thenCompose(admitted -> propose(command)).thenApply(result -> {
            if (result.hasError()) {
                throw new EtcdException(result.getError().getCode(), result.getError().getMessage());
            }
            return result;
        });
    }

    /**
     * TEST ONLY, UNSAFE: {@code -Dgantry.test.unsafe-local-reads=true} makes linearizable reads skip the read-index
     * round and read local state at once, so a lagging follower serves stale data. It exists so that the reliability
     * suite can prove its checker catches a broken configuration (kv-reliability's UnsafeLocalReadsIT).
     */
    private static final boolean UNSAFE_LOCAL_READS = Boolean.getBoolean("gantry.test.unsafe-local-reads");

    /**
     * Reads the local store: after a read-index round if {@code linearizable}, else at once (etcd's
     * {@code serializable=true}, possibly stale).
     */
    public <T> CompletableFuture<T> read(boolean linearizable, Function<MvccView, T> reader) {
        CompletableFuture<Void> ready = linearizable && !UNSAFE_LOCAL_READS
                ? readBarrier.await().orTimeout(requestTimeoutMs, TimeUnit.MILLISECONDS)
                : CompletableFuture.completedFuture(null);
        return ready
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(RaftErrors.toEtcd(e)))
                .thenApplyAsync(ignored -> store.read(reader), readers);
    }

    /** Authentication on this member: who a request comes from, Authenticate, password hashing. */
    public Authenticator auth() {
        return authenticator;
    }

    // ---- space quota and alarms ----

    /**
     * etcd's quota check at the edge, before a put, a txn with puts or a lease grant of {@code cost} bytes is
     * proposed: past {@code --quota-backend-bytes} this member raises a NOSPACE alarm for itself through Raft
     * (then every member's applier refuses such writes) and the request fails with etcd's error. The alarm is
     * proposed only if this member does not have it already, so that refused retries do not fill the Raft log.
     */
    private CompletableFuture<Void> checkSpace(long cost) {
        if (cost == 0 || quota.admits(store.diskSize(), cost)) {
            return CompletableFuture.completedFuture(null);
        }
        AlarmMember mine = AlarmMember.newBuilder().setMemberID(memberId).setAlarm(AlarmType.NOSPACE).build();
        CompletableFuture<?> raised = store.read(MvccView::alarms).contains(mine)
                ? CompletableFuture.completedFuture(null)
                : propose(Command.newBuilder().setAlarm(AlarmRequest.newBuilder()
                        .setAction(AlarmRequest.AlarmAction.ACTIVATE).setMemberID(memberId).setAlarm(AlarmType.NOSPACE))
                        .build());
        return raised.handle((result, error) -> {
            if (error != null) {
                LOG.warnf("raising the NOSPACE alarm failed: %s", error.getMessage());
            }
            throw EtcdError.NO_SPACE.exception();
        });
    }

    /** The alarms active as this member has applied them (what Status and /health report). */
    public List<AlarmMember> alarms() {
        return store.read(MvccView::alarms);
    }

    public long quotaBytes() {
        return quota.bytes();
    }

    // ---- leases ----

    /** etcd's minimum lease TTL: 1.5 election timeouts, in whole seconds (2 s with the defaults). */
    public long minLeaseTtl() {
        return (long) Math.ceil(1.5 * config.electionTimeout().toMillis() / 1000.0);
    }

    /**
     * Renews a lease on the leader (forwarded there from a follower, batched with others) without a Raft
     * entry; TTL 0 if unknown.
     */
    public CompletableFuture<LeaseKeepAliveResponse> keepAlive(LeaseKeepAliveRequest request) {
        return onLeaseLeader(request.getID(), id -> localLeases.renew(id), keepAlives::renew, System.nanoTime())
                .thenApply(ttl -> LeaseKeepAliveResponse.newBuilder().setHeader(header()).setID(request.getID())
                        .setTTL(ttl).build());
    }

    /** A lease's remaining TTL as the leader knows it (TTL -1 if unknown), and its keys if asked. */
    public CompletableFuture<LeaseTimeToLiveResponse> timeToLive(LeaseTimeToLiveRequest request) {
        return onLeaseLeader(request, localLeases::timeToLive, forwarding::timeToLive, System.nanoTime());
    }

    /**
     * Runs a lease call where the lease clocks run: here if this member is the primary lessor, else on the
     * leader. Without a leader (or while the leader is not yet ready) it waits for one, up to the request
     * timeout, as etcd's {@code LeaseRenew} does.
     */
    private <Q, R> CompletableFuture<R> onLeaseLeader(Q request, Function<Q, CompletableFuture<R>> local,
                                                      BiFunction<String, Q, CompletableFuture<R>> remote, long since) {
        CompletableFuture<R> attempt;
        if (lessor.isPrimary()) {
            attempt = local.apply(request);
        } else {
            attempt = leaderAddress().map(leader -> remote.apply(leader, request))
                    .orElseGet(() -> CompletableFuture.failedFuture(EtcdError.NO_LEADER.exception()));
        }
        return attempt.exceptionallyCompose(e -> {
            EtcdException etcd = Forwarding.toEtcd(e);
            boolean retriable = Forwarding.isNotLeader(e) || etcd.code() == io.grpc.Status.Code.UNAVAILABLE.value();
            if (!retriable || timer.isShutdown()
                    || System.nanoTime() - since > TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs - LEASE_RETRY_MS)) {
                return CompletableFuture.failedFuture(etcd);
            }
            CompletableFuture<R> retry = new CompletableFuture<>();
            timer.schedule(() -> onLeaseLeader(request, local, remote, since).whenComplete((r, err) -> {
                if (err == null) {
                    retry.complete(r);
                } else {
                    retry.completeExceptionally(err);
                }
            }), LEASE_RETRY_MS, TimeUnit.MILLISECONDS);
            return retry;
        });
    }

    /** Lease calls as the leader answers them: after a read-index round, which confirms it still leads. */
    private final class LocalLeases implements Forwarding.LeaderLeases {
        CompletableFuture<Long> renew(long leaseId) {
            return confirmedPrimary().thenApply(ignored -> lessor.renew(leaseId));
        }

        /** A follower's batch: one read-index round for all of them. */
        @Override
        public CompletableFuture<KeepAliveTtls> keepAlive(KeepAliveBatch batch) {
            return confirmedPrimary().thenApply(ignored -> {
                KeepAliveTtls.Builder ttls = KeepAliveTtls.newBuilder();
                batch.getLeaseIdsList().forEach(id -> ttls.addTtls(lessor.renew(id)));
                return ttls.build();
            });
        }

        @Override
        public CompletableFuture<LeaseTimeToLiveResponse> timeToLive(LeaseTimeToLiveRequest request) {
            return confirmedPrimary().thenApplyAsync(ignored -> {
                long id = request.getID();
                LeaseTimeToLiveResponse.Builder resp = LeaseTimeToLiveResponse.newBuilder().setHeader(header()).setID(id);
                long remaining = lessor.remainingSeconds(id);
                if (remaining < 0) {
                    return resp.setTTL(-1).build();
                }
                resp.setTTL(remaining).setGrantedTTL(lessor.grantedTtl(id));
                if (request.getKeys()) {
                    store.read(view -> view.leaseKeys(id))
                            .forEach(k -> resp.addKeys(com.google.protobuf.ByteString.copyFrom(k)));
                }
                return resp.build();
            }, readers);
        }

        private CompletableFuture<Void> confirmedPrimary() {
            return readBarrier.await().orTimeout(requestTimeoutMs, TimeUnit.MILLISECONDS).thenApply(ignored -> {
                if (!lessor.isPrimary()) {
                    throw EtcdError.LEADER_CHANGED.exception();
                }
                return null;
            });
        }
    }

    /**
     * The leader revokes the leases whose TTL ran out without renewal. Keep-alives reach only the leader, so a
     * leader that was paused past an election resumes believing it still leads, with deadlines its successor has
     * since extended: it must confirm its leadership (a read-index round) before revoking, and a revoke its
     * local Raft refuses is dropped, never forwarded to the new leader (etcd 3.4.24 fixed the same hazard).
     * The reliability suite's lease check caught it.
     */
    private void expireLeases() {
        try {
            List<Long> expired = lessor.expired(LEASE_REVOKES_PER_TICK, TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs));
            if (expired.isEmpty() || !raftDivision().getInfo().isLeader()) {
                return;
            }
            LOG.debugf("revoking %d expired lease(s)", expired.size());
            CommandBatch.Builder revokes = CommandBatch.newBuilder();
            expired.forEach(id -> revokes.addCommands(
                    Command.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(id))));
            raft.proposeAsConfirmedLeader(revokes.build()).whenComplete((result, error) -> {
                if (error != null) {
                    LOG.debugf("expired leases not revoked (leadership not confirmed): %s", error.getMessage());
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("proposing lease revokes failed", e);
        }
    }

    /** etcd's {@code --auto-compaction-*}: the leader proposes compactions on a schedule. */
    private void startAutoCompaction() {
        if (!config.autoCompaction().enabled()) {
            return;
        }
        AutoCompactor compactor = new AutoCompactor(config.autoCompaction(), lessor::isPrimary, store::revision,
                revision -> proposer.propose(Command.newBuilder()
                                .setCompaction(CompactionRequest.newBuilder().setRevision(revision)).build())
                        .whenComplete((result, error) -> LOG.infof("auto-compaction to revision %d: %s", revision,
                                error != null ? error.getMessage()
                                        : result.hasError() ? result.getError().getMessage() : "done")),
                System::nanoTime);
        long every = compactor.tickInterval().toMillis();
        timer.scheduleWithFixedDelay(() -> {
            try {
                compactor.tick();
            } catch (RuntimeException e) {
                LOG.warn("auto-compaction failed", e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    // ---- watch ----

    /** A new client Watch stream on this member (watches are served by every member, from its own store). */
    public WatchStream openWatchStream(WatchStream.Outbound out) {
        return new WatchStream(watchHub, out, this::header, watchSenders, config.maxRequestBytes());
    }

    public ResponseHeader header(long revision) {
        return ResponseHeader.newBuilder()
                .setClusterId(clusterId())
                .setMemberId(memberId())
                .setRevision(revision)
                .setRaftTerm(division().getCurrentTerm())
                .build();
    }

    public ResponseHeader header() {
        return header(store.revision());
    }

    public long memberId() {
        return memberId;
    }

    public long clusterId() {
        return clusterId;
    }

    /** The leader's member ID, or 0 while there is none. */
    public long leaderId() {
        RaftPeerId leader = division().getLeaderId();
        return leader == null ? 0 : RaftPeers.memberId(leader);
    }

    public boolean hasLeader() {
        return division().getLeaderId() != null;
    }

    public long raftTerm() {
        return division().getCurrentTerm();
    }

    public long committedIndex() {
        return raftDivision().getRaftLog().getLastCommittedIndex();
    }

    public long appliedIndex() {
        return division().getLastAppliedIndex();
    }

    public long dbSize() {
        return store.diskSize();
    }

    // ---- maintenance ----

    /** Rewrites this member's store compactly (etcd's Defragment), off the caller's thread. */
    public CompletableFuture<Void> defragment() {
        return CompletableFuture.runAsync(store::defragment, readers);
    }

    /**
     * etcd's Snapshot: this member's store as of now (no read-index round, as etcd), dumped in one read-only
     * transaction to a file under the data directory while writes go on; blocks for the dump. The caller
     * streams it and closes it, which deletes the file.
     */
    public SnapshotStream snapshot() throws IOException {
        SnapshotDump dump = SnapshotDump.take(store, dumpDir());
        return new SnapshotStream(dump, header(dump.revision()));
    }

    /**
     * etcd's MoveLeader: this member, the leader, hands leadership to {@code targetId} and completes once it
     * has taken over.
     */
    public CompletableFuture<Void> moveLeader(long targetId) {
        if (!isLeader()) {
            return CompletableFuture.failedFuture(EtcdError.NOT_LEADER.exception());
        }
        RaftPeerId target = RaftPeers.id(targetId);
        if (raftDivision().getRaftConf().getPeer(target, RaftPeerRole.FOLLOWER) == null) {
            return CompletableFuture.failedFuture(EtcdError.BAD_LEADER_TRANSFEREE.exception());
        }
        return CompletableFuture.runAsync(() -> {
            try {
                org.apache.ratis.protocol.RaftClientReply reply = client.admin()
                        .transferLeadership(target, requestTimeoutMs);
                if (!reply.isSuccess()) {
                    throw RaftErrors.toEtcd(reply.getException());
                }
            } catch (IOException e) {
                throw RaftErrors.toEtcd(e);
            }
        }, readers);
    }

    // ---- for metrics ----

    public boolean isLeader() {
        return division().isLeader();
    }

    public long leaderChangesSeen() {
        return stateMachine.leaderChangesSeen();
    }

    public long proposalsFailed() {
        return proposer.failed();
    }

    public long proposalsPending() {
        return proposer.pending();
    }

    public long keysTotal() {
        return store.read(MvccView::keyCount);
    }

    public long revision() {
        return store.revision();
    }

    public long compactRevision() {
        return store.compactRevision();
    }

    /** The duration of each fsync of the Raft log (etcd's WAL fsync). */
    public Histogram raftLogSyncDurations() {
        return raftLogSyncs;
    }

    /** The duration of each commit of the store (etcd's backend commit), one per applied Raft entry. */
    public Histogram backendCommitDurations() {
        return store.commitDurations();
    }

    /** Round-trip times to the other members, by member ID. */
    public Map<Long, Histogram> peerRoundTripTimes() {
        return peerProber.roundTripTimes();
    }

    /** The client URLs this member advertises (etcd's --advertise-client-urls). */
    /** The flags this member was started with, checked. */
    public MemberConfig config() {
        return config;
    }

    public List<URI> advertiseClientUrls() {
        return config.advertiseClientUrls();
    }

    public int maxRequestBytes() {
        return config.maxRequestBytes();
    }

    public int maxTxnOps() {
        return config.maxTxnOps();
    }

    public String name() {
        return identity.name();
    }

    /** The members, ordered by ID as etcd lists them, with the names and client URLs they published. */
    public List<Member> members() {
        return etcdMembers(store.members());
    }

    private static List<Member> etcdMembers(MemberSet members) {
        return members.getMembersList().stream()
                .sorted((a, b) -> Long.compareUnsigned(a.getMemberId(), b.getMemberId()))
                .map(Membership::toEtcd).toList();
    }

    /** Whether this member is a learner, as the member set says (until this member has caught up: as when it joined). */
    public boolean isLearner() {
        return Membership.find(store.members(), memberId).map(MemberAttributes::getIsLearner).orElse(learnerWhenJoined);
    }

    /** Voters and learners (Ratis's listeners) of a Raft configuration, old and new while it changes. */
    private static List<RaftPeer> peersOf(RaftConfiguration conf) {
        List<RaftPeer> peers = new ArrayList<>(conf.getAllPeers(RaftPeerRole.FOLLOWER));
        peers.addAll(conf.getAllPeers(RaftPeerRole.LISTENER));
        return peers;
    }

    private DivisionInfo division() {
        return raftDivision().getInfo();
    }

    /** The one Raft group this member serves, looked up once (every response header reads its term). */
    private RaftServer.Division raftDivision() {
        RaftServer.Division d = division;
        if (d == null) {
            try {
                d = server.getDivision(groupId);
            } catch (IOException e) {
                throw EtcdError.STOPPED.exception();
            }
            division = d;
        }
        return d;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        membershipThread.shutdownNow();
        proposer.close();
        forwarding.close();
        raft.close();
        try {
            client.close();
        } catch (IOException e) {
            LOG.warn("closing the Raft client", e);
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing the Raft server", e);
        }
        // only now: the Raft server applies (and publishes to watchers) what was committed until it stops
        watchHub.close();
        watchSenders.shutdownNow();
        readers.shutdown();
        passwordHashing.shutdownNow();
        readIndexThread.shutdownNow();
        store.close();
    }
}
