package dev.gantry.kv.concurrency;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.election.CampaignRequest;
import dev.gantry.kv.api.election.CampaignResponse;
import dev.gantry.kv.api.election.LeaderKey;
import dev.gantry.kv.api.election.LeaderResponse;
import dev.gantry.kv.api.election.ProclaimRequest;
import dev.gantry.kv.api.election.ProclaimResponse;
import dev.gantry.kv.api.election.ResignRequest;
import dev.gantry.kv.api.election.ResignResponse;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.TxnResponse;
import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.api.mvcc.KeyValue;
import dev.gantry.kv.mvcc.EtcdException;
import dev.gantry.kv.mvcc.KeyRange;
import dev.gantry.kv.raft.KvMember;
import io.grpc.Status;

/**
 * etcd's Election service ({@code v3electionpb}), the way etcd builds it on clientv3's election: candidates
 * of election {@code name} create {@code name/<lease in hex>} with their proposal as value; the leader is
 * the candidate whose key was created first. A campaign completes once every earlier candidate is gone.
 */
public final class Elections {
    private static final long SESSION_TTL = 60;

    private final InProcessClient client;

    public Elections(KvMember member) {
        this.client = new InProcessClient(member);
    }

    /** etcd's errors of this service: its server returns them raw (code UNKNOWN); jetcd matches on the text. */
    static final String NO_LEADER = "election: no leader";
    static final String NOT_LEADER = "election: not leader";
    static final String MISSING_LEADER_KEY = "\"leader\" field must be provided";

    private static EtcdException error(String message) {
        return new EtcdException(Status.Code.UNKNOWN.value(), message);
    }

    public CompletableFuture<CampaignResponse> campaign(CampaignRequest r, CompletableFuture<Void> cancelled) {
        CompletableFuture<Long> lease = r.getLease() != 0
                ? CompletableFuture.completedFuture(r.getLease()) : client.grantLease(SESSION_TTL);
        return lease.thenCompose(id -> {
            ByteString prefix = prefix(r.getName());
            ByteString key = prefix.concat(ByteString.copyFromUtf8(Long.toHexString(id)));
            TxnRequest enter = TxnRequest.newBuilder()
                    .addCompare(InProcessClient.createRevisionIs(key, 0))
                    .addSuccess(RequestOp.newBuilder().setRequestPut(
                            PutRequest.newBuilder().setKey(key).setValue(r.getValue()).setLease(id)))
                    .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key)))
                    .build();
            return client.txn(enter).thenCompose(txn -> {
                LeaderKey leader;
                CompletableFuture<?> proclaimed = CompletableFuture.completedFuture(null);
                if (txn.getSucceeded()) {
                    leader = leaderKey(r.getName(), key, txn.getHeader().getRevision(), id);
                } else {
                    KeyValue existing = txn.getResponses(0).getResponseRange().getKvs(0);
                    leader = leaderKey(r.getName(), key, existing.getCreateRevision(), id);
                    if (!existing.getValue().equals(r.getValue())) {
                        proclaimed = proclaim(leader, r.getValue());
                    }
                }
                return proclaimed
                        .thenCompose(ignored -> Waiting.predecessorsGone(client, prefix, leader.getRev() - 1, cancelled))
                        .thenApply(ignored -> CampaignResponse.newBuilder()
                                .setHeader(client.member().header()).setLeader(leader).build())
                        .whenComplete((won, error) -> {
                            if (error != null) { // withdraw, as etcd's server does when the campaign fails
                                resign(leader);
                            }
                        });
            });
        });
    }

    public CompletableFuture<ProclaimResponse> proclaim(ProclaimRequest r) {
        if (!r.hasLeader()) {
            return CompletableFuture.failedFuture(error(MISSING_LEADER_KEY));
        }
        return proclaim(r.getLeader(), r.getValue()).thenApply(txn -> ProclaimResponse.newBuilder()
                .setHeader(client.member().header(txn.getHeader().getRevision())).build());
    }

    private CompletableFuture<TxnResponse> proclaim(LeaderKey leader, ByteString value) {
        TxnRequest put = TxnRequest.newBuilder()
                .addCompare(InProcessClient.createRevisionIs(leader.getKey(), leader.getRev()))
                .addSuccess(RequestOp.newBuilder().setRequestPut(
                        PutRequest.newBuilder().setKey(leader.getKey()).setValue(value).setLease(leader.getLease())))
                .build();
        return client.txn(put).thenApply(txn -> {
            if (!txn.getSucceeded()) {
                throw error(NOT_LEADER);
            }
            return txn;
        });
    }

    public CompletableFuture<ResignResponse> resign(ResignRequest r) {
        if (!r.hasLeader()) {
            return CompletableFuture.failedFuture(error(MISSING_LEADER_KEY));
        }
        return resign(r.getLeader()).thenApply(txn -> ResignResponse.newBuilder()
                .setHeader(client.member().header(txn.getHeader().getRevision())).build());
    }

    private CompletableFuture<TxnResponse> resign(LeaderKey leader) {
        return client.txn(TxnRequest.newBuilder()
                .addCompare(InProcessClient.createRevisionIs(leader.getKey(), leader.getRev()))
                .addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(leader.getKey())))
                .build());
    }

    public CompletableFuture<LeaderResponse> leader(ByteString name) {
        return client.range(Waiting.firstCreated(prefix(name))).thenApply(resp -> {
            if (resp.getKvsCount() == 0) {
                throw error(NO_LEADER);
            }
            return LeaderResponse.newBuilder().setHeader(client.member().header(resp.getHeader().getRevision()))
                    .setKv(resp.getKvs(0)).build();
        });
    }

    /**
     * Streams the leader of election {@code name}: the current one (once there is one), then each new value it
     * proclaims and each successor. Closing the returned handle stops it.
     */
    public AutoCloseable observe(ByteString name, Consumer<LeaderResponse> leaders, Consumer<Throwable> failed) {
        Observer observer = new Observer(prefix(name), leaders, failed);
        observer.findLeader();
        return observer::close;
    }

    /** etcd's {@code Election.observe} loop, driven by watch callbacks instead of a goroutine. */
    private final class Observer {
        private final ByteString prefix;
        private final Consumer<LeaderResponse> leaders;
        private final Consumer<Throwable> failed;
        private InProcessClient.Watch watch;
        /** Bumped whenever the watch is replaced, so that late callbacks of an old one are ignored. */
        private long generation;
        private boolean closed;

        Observer(ByteString prefix, Consumer<LeaderResponse> leaders, Consumer<Throwable> failed) {
            this.prefix = prefix;
            this.leaders = leaders;
            this.failed = failed;
        }

        synchronized void findLeader() {
            if (closed) {
                return;
            }
            long gen = ++generation;
            client.range(Waiting.firstCreated(prefix)).whenComplete((resp, error) -> {
                synchronized (this) {
                    if (closed || gen != generation) {
                        return;
                    }
                    if (error != null) {
                        close();
                        failed.accept(error);
                    } else if (resp.getKvsCount() == 0) {
                        awaitCandidate(resp.getHeader().getRevision(), gen);
                    } else {
                        follow(resp.getHeader(), resp.getKvs(0));
                    }
                }
            });
        }

        /** No leader: the first candidate to put a key under the prefix will be it. */
        private void awaitCandidate(long fromRevision, long gen) {
            replaceWatch(watch(WatchCreateRequest.newBuilder().setKey(prefix)
                    .setRangeEnd(KeyRange.prefixEnd(prefix)).setStartRevision(fromRevision)
                    .addFilters(WatchCreateRequest.FilterType.NODELETE).build(), gen, response -> {
                for (Event e : response.getEventsList()) {
                    follow(response.getHeader().toBuilder().setRevision(e.getKv().getModRevision()).build(), e.getKv());
                    return;
                }
            }));
        }

        /** Reports the leader, then its updates, until its key is deleted. */
        private void follow(ResponseHeader header, KeyValue leader) {
            leaders.accept(LeaderResponse.newBuilder().setHeader(client.member().header(header.getRevision())).setKv(leader).build());
            long gen = ++generation;
            replaceWatch(watch(WatchCreateRequest.newBuilder().setKey(leader.getKey())
                    .setStartRevision(header.getRevision() + 1).build(), gen, response -> {
                for (Event e : response.getEventsList()) {
                    if (e.getType() == Event.EventType.DELETE) {
                        findLeader();
                        return;
                    }
                    leaders.accept(LeaderResponse.newBuilder()
                            .setHeader(client.member().header(response.getHeader().getRevision())).setKv(e.getKv()).build());
                }
            }));
        }

        /**
         * A watch whose responses go to {@code handle} while it is the observer's current one ({@code gen}); a
         * cancelled watch (compaction) starts over from reading the leader.
         */
        private InProcessClient.Watch watch(WatchCreateRequest create, long gen, Consumer<WatchResponse> handle) {
            return client.watch(create, response -> {
                synchronized (this) {
                    if (closed || gen != generation) {
                        return;
                    }
                    if (response.getCanceled()) {
                        findLeader();
                    } else {
                        handle.accept(response);
                    }
                }
            });
        }

        private void replaceWatch(InProcessClient.Watch next) {
            if (watch != null) {
                watch.close();
            }
            watch = next;
        }

        synchronized void close() {
            closed = true;
            generation++;
            if (watch != null) {
                watch.close();
            }
        }
    }

    private static ByteString prefix(ByteString name) {
        return name.concat(ByteString.copyFromUtf8("/"));
    }

    private static LeaderKey leaderKey(ByteString name, ByteString key, long rev, long lease) {
        return LeaderKey.newBuilder().setName(name).setKey(key).setRev(rev).setLease(lease).build();
    }
}
