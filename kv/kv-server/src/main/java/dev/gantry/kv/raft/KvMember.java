package dev.gantry.kv.raft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;
import org.jboss.logging.Logger;

import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveResponse;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveRequest;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveResponse;
import dev.gantry.kv.api.etcd.Member;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.raft.BatchResult;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.api.raft.KeepAliveBatch;
import dev.gantry.kv.api.raft.KeepAliveTtls;
import dev.gantry.kv.api.raft.MemberAttributes;
import dev.gantry.kv.api.raft.MemberSet;
import dev.gantry.kv.cluster.ClusterIdentity;
import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.cluster.Urls;
import dev.gantry.kv.lease.Lessor;
import dev.gantry.kv.metrics.Histogram;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.EtcdException;
import dev.gantry.kv.mvcc.MvccStore;
import dev.gantry.kv.mvcc.MvccView;
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
    /** How often each peer's round-trip time is measured, and how long a probe may take (etcd: every 4 s, 5 s). */
    private static final long PEER_PROBE_INTERVAL_MS = 4000;
    private static final long PEER_PROBE_DEADLINE_MS = 3000;

    private final MemberConfig config;
    private final ClusterIdentity identity;
    /** Hashes of the identity, computed once: every response header carries them. */
    private final long memberId;
    private final long clusterId;
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
    private volatile RaftServer.Division division;
    private final CompletableFuture<Void> started = new CompletableFuture<>();

    private KvMember(MemberConfig config) throws IOException {
        this.config = config;
        this.identity = ClusterIdentity.loadOrCreate(config);
        this.memberId = identity.memberId();
        this.clusterId = identity.clusterId();
        this.store = MvccStore.open(config.memberDir().resolve("kv"));
        this.lessor = new Lessor();
        lessor.reset(KvStateMachine.leaseTtls(store));
        this.watchHub = new WatchHub(store, config.watchProgressNotifyInterval());
        this.watchSenders = Executors.newFixedThreadPool(2, new DaemonThreads("kv-watch-send"));
        this.stateMachine = new KvStateMachine(store, watchHub, lessor, config.electionTimeout().toNanos());
        RaftGroup group = group();
        this.groupId = group.getGroupId();
        RaftPeerId self = RaftPeerId.valueOf(identity.name());
        this.raftLogSyncs = RaftLogSyncs.of(self);
        RaftProperties properties = RaftSettings.server(config);
        Parameters parameters = new Parameters();
        GrpcConfigKeys.Server.setServicesCustomizer(parameters, (builder, types) -> types.contains(GrpcServices.Type.SERVER)
                ? builder.addService(Forwarding.service(() -> division().isLeader(), this::proposeOnLeader,
                        lessor::isPrimary, localLeases))
                : builder);
        this.server = RaftServer.newBuilder()
                .setServerId(self)
                .setGroup(group)
                .setProperties(properties)
                .setParameters(parameters)
                .setStateMachine(stateMachine)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        // etcd's request timeout: 5 s + 2 × election timeout
        this.requestTimeoutMs = 5000 + 2 * config.electionTimeout().toMillis();
        this.client = RaftClient.newBuilder()
                .setProperties(RaftSettings.client(config))
                .setRaftGroup(group)
                .setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        (int) (requestTimeoutMs / 100), TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
        this.raft = new RaftGateway(server, groupId, RaftPeerId.valueOf(identity.name()), client, PROPOSALS_IN_FLIGHT);
        this.proposer = new Proposer(this::submit, PROPOSALS_IN_FLIGHT);
        this.forwarding = new Forwarding(requestTimeoutMs);
        this.peerProber = new PeerProber(self, () -> peersOf(raftDivision().getRaftConf()),
                peer -> identity.memberId(peer.toString()), forwarding::ping, PEER_PROBE_DEADLINE_MS);
        this.keepAlives = new KeepAliveBatcher(forwarding::keepAlive);
        this.readIndexThread = Executors.newSingleThreadExecutor(new DaemonThreads("kv-read-index"));
        this.readBarrier = new ReadBarrier(raft, readIndexThread);
        this.readers = Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
                new DaemonThreads("kv-read"));
        this.timer = Executors.newSingleThreadScheduledExecutor(new DaemonThreads("kv-timer"));
    }

    /** Opens the store and starts the Raft server; the member then elects or follows a leader on its own. */
    public static KvMember start(MemberConfig config) {
        try {
            KvMember member = new KvMember(config);
            member.server.start();
            member.publishAttributes();
            member.timer.scheduleWithFixedDelay(member::expireLeases, LEASE_EXPIRY_TICK_MS, LEASE_EXPIRY_TICK_MS,
                    TimeUnit.MILLISECONDS);
            member.startAutoCompaction();
            member.timer.scheduleWithFixedDelay(member.peerProber::probe, LEASE_EXPIRY_TICK_MS, PEER_PROBE_INTERVAL_MS,
                    TimeUnit.MILLISECONDS);
            LOG.infof("member %s (%s) started: peers %s, data in %s", member.identity.name(),
                    Long.toHexString(member.memberId()), member.identity.initialCluster(), config.dataDir().toAbsolutePath());
            return member;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the KV member: " + e.getMessage(), e);
        }
    }

    private RaftGroup group() {
        List<RaftPeer> peers = new ArrayList<>();
        for (Map.Entry<String, List<URI>> m : identity.initialCluster().entrySet()) {
            peers.add(RaftPeer.newBuilder()
                    .setId(m.getKey())
                    .setAddress(Urls.hostPort(m.getValue().get(0)))
                    .build());
        }
        return RaftGroup.valueOf(RaftGroupId.valueOf(identity.groupId()), peers);
    }

    /**
     * Announces this member's name and client URLs through Raft, retrying until a leader accepts it; the
     * member is {@link #started()} once the announcement is applied here too.
     */
    private void publishAttributes() {
        Command publish = Command.newBuilder().setPublishMember(MemberAttributes.newBuilder()
                .setMemberId(memberId())
                .setName(identity.name())
                .addAllClientUrls(config.advertiseClientUrls().stream().map(URI::toString).toList())
                .addAllPeerUrls(identity.initialCluster().get(identity.name()).stream().map(URI::toString).toList()))
                .build();
        propose(publish).thenCompose(applied -> read(true, view -> null)).whenComplete((r, e) -> {
            if (e == null) {
                started.complete(null);
            } else if (!timer.isShutdown()) {
                LOG.debugf("publishing member attributes failed (%s); retrying", e.getMessage());
                timer.schedule(this::publishAttributes, 500, TimeUnit.MILLISECONDS);
            }
        });
    }

    /**
     * Where this member's entries go: into the local Raft log when it leads; else to the leader's proposer,
     * which batches them with everyone else's; with no leader known, through the Ratis client, which waits
     * for one. A forward the leader refused before proposing is retried through the client; any other
     * failure is reported, never retried, since the leader may have proposed it.
     */
    private CompletableFuture<BatchResult> submit(CommandBatch batch) {
        RaftServer.Division division = raftDivision();
        if (division.getInfo().isLeader()) {
            return raft.proposeLocally(batch);
        }
        RaftPeerId leader = division.getInfo().getLeaderId();
        RaftPeer peer = leader == null ? null : division.getRaftConf().getPeer(leader);
        if (peer == null) {
            return raft.proposeViaClient(batch);
        }
        return forwarding.forward(peer.getAddress(), batch).exceptionallyCompose(e ->
                Forwarding.isNotLeader(e) ? raft.proposeViaClient(batch) : CompletableFuture.failedFuture(e));
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

    /** {@link #propose}, failing with the etcd error of a command the state machine refused. */
    public CompletableFuture<CommandResult> execute(Command command) {
        return propose(command).thenApply(result -> {
            if (result.hasError()) {
                throw new EtcdException(result.getError().getCode(), result.getError().getMessage());
            }
            return result;
        });
    }

    /**
     * Reads the local store: after a read-index round if {@code linearizable}, else at once (etcd's
     * {@code serializable=true}, possibly stale).
     */
    public <T> CompletableFuture<T> read(boolean linearizable, Function<MvccView, T> reader) {
        CompletableFuture<Void> ready = linearizable
                ? readBarrier.await().orTimeout(requestTimeoutMs, TimeUnit.MILLISECONDS)
                : CompletableFuture.completedFuture(null);
        return ready
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(RaftErrors.toEtcd(e)))
                .thenApplyAsync(ignored -> store.read(reader), readers);
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
            RaftPeerId leader = division().getLeaderId();
            RaftPeer peer = leader == null || leader.toString().equals(identity.name())
                    ? null : raftDivision().getRaftConf().getPeer(leader);
            attempt = peer == null
                    ? CompletableFuture.failedFuture(EtcdError.NO_LEADER.exception())
                    : remote.apply(peer.getAddress(), request);
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

    /** The leader proposes the revoke of each expired lease; a revoke that does not take effect is proposed again. */
    private void expireLeases() {
        try {
            List<Long> expired = lessor.expired(LEASE_REVOKES_PER_TICK, TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs));
            if (!expired.isEmpty()) {
                LOG.debugf("revoking %d expired lease(s)", expired.size());
            }
            for (long id : expired) {
                proposer.propose(Command.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(id)).build());
            }
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
        return leader == null ? 0 : identity.memberId(leader.toString());
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

    public void defragment() {
        store.defragment();
    }

    /**
     * etcd's MoveLeader: this member, the leader, hands leadership to {@code targetId} and completes once it
     * has taken over.
     */
    public CompletableFuture<Void> moveLeader(long targetId) {
        if (!isLeader()) {
            return CompletableFuture.failedFuture(EtcdError.NOT_LEADER.exception());
        }
        String target = identity.membersById().get(targetId);
        if (target == null) {
            return CompletableFuture.failedFuture(EtcdError.BAD_LEADER_TRANSFEREE.exception());
        }
        return CompletableFuture.runAsync(() -> {
            try {
                org.apache.ratis.protocol.RaftClientReply reply = client.admin()
                        .transferLeadership(RaftPeerId.valueOf(target), requestTimeoutMs);
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

    /** The members with the attributes they published (client URLs appear once a member has started). */
    public List<Member> members() {
        MemberSet published = store.read(MvccView::members);
        List<Member> members = new ArrayList<>();
        for (Map.Entry<Long, String> m : identity.membersById().entrySet()) {
            Member.Builder b = Member.newBuilder()
                    .setID(m.getKey())
                    .addAllPeerURLs(identity.initialCluster().get(m.getValue()).stream().map(URI::toString).toList());
            published.getMembersList().stream().filter(a -> a.getMemberId() == m.getKey()).findFirst()
                    .ifPresent(a -> b.setName(a.getName()).addAllClientURLs(a.getClientUrlsList()));
            members.add(b.build());
        }
        return members;
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
        readIndexThread.shutdownNow();
        store.close();
    }
}
