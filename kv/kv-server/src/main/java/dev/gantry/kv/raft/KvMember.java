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
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;
import org.jboss.logging.Logger;

import dev.gantry.kv.api.etcd.Member;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.raft.BatchResult;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.api.raft.MemberAttributes;
import dev.gantry.kv.api.raft.MemberSet;
import dev.gantry.kv.cluster.ClusterIdentity;
import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.cluster.Urls;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.MvccStore;
import dev.gantry.kv.mvcc.MvccView;

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

    private final MemberConfig config;
    private final ClusterIdentity identity;
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
    private final long requestTimeoutMs;
    private final CompletableFuture<Void> started = new CompletableFuture<>();

    private KvMember(MemberConfig config) throws IOException {
        this.config = config;
        this.identity = ClusterIdentity.loadOrCreate(config);
        this.store = MvccStore.open(config.memberDir().resolve("kv"));
        RaftGroup group = group();
        this.groupId = group.getGroupId();
        RaftProperties properties = RaftSettings.server(config);
        Parameters parameters = new Parameters();
        GrpcConfigKeys.Server.setServicesCustomizer(parameters, (builder, types) -> types.contains(GrpcServices.Type.SERVER)
                ? builder.addService(Forwarding.service(() -> division().isLeader(), this::proposeOnLeader))
                : builder);
        this.server = RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(identity.name()))
                .setGroup(group)
                .setProperties(properties)
                .setParameters(parameters)
                .setStateMachine(new KvStateMachine(store))
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
        return identity.memberId();
    }

    public long clusterId() {
        return identity.clusterId();
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

    private DivisionInfo division() {
        return raftDivision().getInfo();
    }

    private RaftServer.Division raftDivision() {
        try {
            return server.getDivision(groupId);
        } catch (IOException e) {
            throw EtcdError.STOPPED.exception();
        }
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
        readers.shutdown();
        readIndexThread.shutdownNow();
        store.close();
    }
}
