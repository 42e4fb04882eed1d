package dev.gantry.kv.client;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import dev.gantry.kv.api.etcd.AuthGrpc;
import dev.gantry.kv.api.etcd.ClusterGrpc;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.TxnResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;

/**
 * A small etcd v3 client: what Gantry's scheduler, API and agent need, against Gantry KV or etcd alike.
 *
 * <p>Calls go to one member at a time; a member that is unavailable (down, no leader, leader changed) sends this
 * call and later ones to the next member after a short backoff, until {@link #RETRY_FOR} has passed. A write
 * retried that way may have been applied the first time: callers make writes conditional (a {@link Txn} that
 * compares revisions) where that matters, as etcd's own clients advise.
 *
 * <p>Connected {@linkplain #connect(List, String, String) as a user}, it authenticates against etcd's Auth service
 * and sends the token with every call, authenticating again when a member refuses it ({@link TokenAuth}).
 */
public final class KvClient implements AutoCloseable {
    static final Duration CALL_DEADLINE = Duration.ofSeconds(5);
    static final Duration RETRY_FOR = Duration.ofSeconds(15);
    private static final long BACKOFF_START_MS = 25;
    private static final long BACKOFF_MAX_MS = 1000;

    private final Endpoints endpoints;
    private final ScheduledExecutorService timers;
    /** etcd authentication, when the client was given a user; null otherwise. */
    private final TokenAuth auth;

    private KvClient(List<String> urls, TlsOptions tls, TokenAuth auth) {
        this.auth = auth;
        this.endpoints = new Endpoints(urls, tls, auth == null ? List.of() : List.of(auth));
        this.timers = Executors.newScheduledThreadPool(1, runnable -> {
            Thread thread = new Thread(runnable, "kv-client-timer");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Connects to the members at {@code endpoints}: {@code http://host:port}, comma-separated. */
    public static KvClient connect(String endpoints) {
        return connect(endpoints, TlsOptions.NONE);
    }

    public static KvClient connect(List<String> endpoints) {
        return connect(endpoints, TlsOptions.NONE);
    }

    /**
     * Connects to the members at {@code endpoints}, comma-separated; {@code https://} ones with TLS as {@code tls}
     * says (etcdctl's {@code --cacert --cert --key}).
     *
     * @throws IllegalArgumentException for a malformed endpoint, or a TLS file that cannot be used (naming it)
     */
    public static KvClient connect(String endpoints, TlsOptions tls) {
        return connect(Endpoints.split(endpoints), tls);
    }

    public static KvClient connect(List<String> endpoints, TlsOptions tls) {
        return new KvClient(endpoints, tls, null);
    }

    /**
     * Connects as an etcd user (etcdctl's {@code --user}): authenticates on first use and again whenever a member no
     * longer accepts the token; with auth disabled on the cluster the credentials are simply not needed.
     */
    public static KvClient connect(List<String> endpoints, String user, String password) {
        return connect(endpoints, TlsOptions.NONE, user, password);
    }

    /** As an etcd user, over TLS. */
    public static KvClient connect(List<String> endpoints, TlsOptions tls, String user, String password) {
        return new KvClient(endpoints, tls, new TokenAuth(user, password));
    }

    /** As {@code user} if there is one; {@code endpoints} comma-separated. */
    public static KvClient connect(String endpoints, TlsOptions tls, EtcdUser user) {
        return connect(Endpoints.split(endpoints), tls, user);
    }

    /** As {@code user} if there is one (null: no user, as {@link #connect(List, TlsOptions)}). */
    public static KvClient connect(List<String> endpoints, TlsOptions tls, EtcdUser user) {
        return user == null ? connect(endpoints, tls) : connect(endpoints, tls, user.name(), user.password());
    }

    /** The key's current value (a linearizable read), if it exists. */
    public Optional<Kv> get(String key) {
        RangeResponse response = call("get " + key, channel -> kv(channel).range(RangeRequest.newBuilder().setKey(Prefixes.key(key)).build()));
        return response.getKvsList().stream().findFirst().map(Kv::of);
    }

    /** Every key under {@code prefix}, read page by page at one revision. */
    public Listing list(String prefix) {
        List<Kv> all = new java.util.ArrayList<>();
        long revision = 0;
        String after = null;
        Listing page;
        do {
            page = list(prefix, after, 1000, revision);
            revision = page.revision();
            all.addAll(page.kvs());
            after = page.lastKey();
        } while (page.more());
        return new Listing(revision, List.copyOf(all), false);
    }

    /** One page of keys under {@code prefix}: those after {@code startAfter} (null: from the first), at most limit. */
    public Listing list(String prefix, String startAfter, int limit) {
        return list(prefix, startAfter, limit, 0);
    }

    private Listing list(String prefix, String startAfter, int limit, long revision) {
        RangeRequest request = RangeRequest.newBuilder()
                .setKey(startAfter == null ? Prefixes.key(prefix) : Prefixes.after(startAfter))
                .setRangeEnd(Prefixes.rangeEnd(prefix))
                .setLimit(limit)
                .setRevision(revision)
                .build();
        RangeResponse response = call("list " + prefix, channel -> kv(channel).range(request));
        return new Listing(response.getHeader().getRevision(), response.getKvsList().stream().map(Kv::of).toList(),
                response.getMore());
    }

    /** Puts the value; returns the revision of the write. */
    public long put(String key, String value) {
        return put(key, value, 0);
    }

    /** Puts the value attached to a lease (0: none); returns the revision of the write. */
    public long put(String key, String value, long leaseId) {
        PutRequest request = PutRequest.newBuilder().setKey(Prefixes.key(key))
                .setValue(com.google.protobuf.ByteString.copyFromUtf8(value)).setLease(leaseId).build();
        return call("put " + key, channel -> kv(channel).put(request))
                .getHeader().getRevision();
    }

    /** Deletes the key; returns how many keys were deleted (0 or 1). */
    public long delete(String key) {
        return deleteRange(DeleteRangeRequest.newBuilder().setKey(Prefixes.key(key)).build(), key);
    }

    /** Deletes every key under {@code prefix}; returns how many. */
    public long deletePrefix(String prefix) {
        return deleteRange(DeleteRangeRequest.newBuilder().setKey(Prefixes.key(prefix))
                .setRangeEnd(Prefixes.rangeEnd(prefix)).build(), prefix);
    }

    private long deleteRange(DeleteRangeRequest request, String what) {
        return call("delete " + what, channel -> kv(channel).deleteRange(request))
                .getDeleted();
    }

    /** A transaction: compares, then the writes that happen when all hold, and the reads when one fails. */
    public Txn txn() {
        return new Txn(this);
    }

    TxnResponse txn(TxnRequest request) {
        return call("txn", channel -> kv(channel).txn(request));
    }

    /** Grants a lease of {@code ttlSeconds}; returns its ID. */
    public long grantLease(long ttlSeconds) {
        return call("lease grant", channel -> withDeadline(LeaseGrpc.newBlockingStub(channel))
                .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(ttlSeconds).build())).getID();
    }

    /** Revokes the lease, deleting its keys; a lease that is already gone is not an error. */
    public void revokeLease(long leaseId) {
        try {
            call("lease revoke", channel -> withDeadline(LeaseGrpc.newBlockingStub(channel))
                    .leaseRevoke(LeaseRevokeRequest.newBuilder().setID(leaseId).build()));
        } catch (KvException e) {
            if (e.code() != Status.Code.NOT_FOUND) {
                throw e;
            }
        }
    }

    /**
     * Keeps the lease alive over one stream, renewing every third of its TTL. {@code onLost} is called once, with
     * why, when the lease has expired or could not be renewed before it would have; then the keep-alive stops.
     */
    public KeepAlive keepAlive(long leaseId, Consumer<String> onLost) {
        KeepAlive keepAlive = new KeepAlive(this, leaseId, onLost);
        keepAlive.start();
        return keepAlive;
    }

    /**
     * Watches every key under {@code prefix} from {@code fromRevision} (0: from now). The watch resumes on another
     * member after a failure, from the revision after the last one it delivered, so the listener sees every
     * change once and in order, or {@link WatchListener#onCompacted} when that history is gone.
     */
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        Watch watch = new Watch(this, prefix, fromRevision, listener);
        watch.start();
        return watch;
    }

    /** etcd's raw stubs on the member calls go to now, with the default deadline: for what this class lacks. */
    public KVGrpc.KVBlockingStub kvStub() {
        return kv(channel());
    }

    public MaintenanceGrpc.MaintenanceBlockingStub maintenanceStub() {
        return withDeadline(MaintenanceGrpc.newBlockingStub(channel()));
    }

    /** etcd's Auth service: users, roles and their permissions (calls carry this client's token). */
    public AuthGrpc.AuthBlockingStub authStub() {
        return withDeadline(AuthGrpc.newBlockingStub(channel()));
    }

    public ClusterGrpc.ClusterBlockingStub clusterStub() {
        return withDeadline(ClusterGrpc.newBlockingStub(channel()));
    }

    /** The endpoint calls go to now. */
    public String endpoint() {
        return endpoints.url(endpoints.index());
    }

    /** A stub whose call fails after {@link #CALL_DEADLINE}: every blocking call this client makes has one. */
    static <S extends AbstractStub<S>> S withDeadline(S stub) {
        return stub.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static KVGrpc.KVBlockingStub kv(ManagedChannel channel) {
        return withDeadline(KVGrpc.newBlockingStub(channel));
    }

    ManagedChannel channel() {
        return endpoints.channel(endpoints.index());
    }

    /** Moves later calls off the member behind {@code channel}, if it is still the current one. */
    void failed(ManagedChannel channel) {
        int index = endpoints.index();
        if (endpoints.channel(index) == channel) {
            endpoints.failed(index);
        }
    }

    ScheduledExecutorService timers() {
        return timers;
    }

    /** A watch stream was canceled with {@code reason}: a token it names as refused is forgotten. */
    void watchCanceled(String reason) {
        if (auth != null) {
            auth.watchCanceled(reason);
        }
    }

    /** Delay before retry {@code attempt} (1, 2, ...): exponential, capped. */
    static long backoffMillis(int attempt) {
        return Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS << Math.min(attempt - 1, 10));
    }

    /**
     * Whether a failed call may go to another member: it did not reach a leader that could take it, or the connection
     * died under it — grpc-java reports a write onto a connection the member's death just closed as
     * {@code UNKNOWN: channel closed}, not UNAVAILABLE (jetcd retries it too). Such a write may have been applied:
     * the class comment says why callers make writes that matter conditional.
     */
    static boolean retryable(StatusRuntimeException e) {
        Status status = e.getStatus();
        return status.getCode() == Status.Code.UNAVAILABLE
                || status.getCode() == Status.Code.UNKNOWN && "channel closed".equals(status.getDescription());
    }

    /** Runs a blocking call on the current member, moving to the next one on UNAVAILABLE until {@link #RETRY_FOR}. */
    <T> T call(String what, Function<ManagedChannel, T> call) {
        long deadline = System.nanoTime() + RETRY_FOR.toNanos();
        boolean reauthenticated = false;
        for (int attempt = 1; ; attempt++) {
            int index = endpoints.index();
            try {
                return call.apply(endpoints.channel(index));
            } catch (StatusRuntimeException e) {
                if (auth != null && !reauthenticated && auth.retriesAfter(e)) {
                    reauthenticated = true; // the token was refused and forgotten: once more, with a new one
                    continue;
                }
                if (!retryable(e) || System.nanoTime() > deadline) {
                    throw new KvException(what + " on " + endpoints.url(index), e);
                }
                endpoints.failed(index);
                try {
                    Thread.sleep(attempt <= endpoints.size() ? BACKOFF_START_MS : backoffMillis(attempt));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new KvException(what + " interrupted", e);
                }
            }
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
        endpoints.close();
    }
}
