package dev.gantry.it.kv;

import dev.gantry.it.cluster.DefaultDeadline;
import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.CompactionResponse;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.DeleteRangeResponse;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.TxnResponse;
import dev.gantry.kv.api.mvcc.KeyValue;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The etcd KV and Lease services through grpc-java blocking stubs, as a Java etcd client calls them. */
final class KvClient {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    /** etcd's way to say "every key": key and range_end both {@code \0}. */
    private static final String ALL = "\0";
    /** A key no test writes: a Range on it costs nothing and reports the current revision. */
    private static final String NO_KEY = "\0no-such-key";

    private final KVGrpc.KVBlockingStub kv;
    private final LeaseGrpc.LeaseBlockingStub lease;

    KvClient(Channel channel) {
        Channel withDeadline = ClientInterceptors.intercept(channel, new DefaultDeadline(CALL_TIMEOUT));
        this.kv = KVGrpc.newBlockingStub(withDeadline);
        this.lease = LeaseGrpc.newBlockingStub(withDeadline);
    }

    /** The whole keyspace and its revision, read at one revision: "nothing changed" means this is equal. */
    record StoreState(long revision, List<KeyValue> kvs) {
    }

    StoreState state() {
        RangeResponse all = range(Ops.range(ALL, ALL));
        return new StoreState(all.getHeader().getRevision(), all.getKvsList());
    }

    long revision() {
        return range(Ops.get(NO_KEY)).getHeader().getRevision();
    }

    PutResponse put(String key, String value) {
        return put(Ops.put(key, value));
    }

    PutResponse put(PutRequest.Builder request) {
        return kv.put(request.build());
    }

    RangeResponse range(RangeRequest.Builder request) {
        return kv.range(request.build());
    }

    Optional<KeyValue> get(String key) {
        List<KeyValue> kvs = range(Ops.get(key)).getKvsList();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.getFirst());
    }

    /** The keys of a range response, as strings, in response order. */
    List<String> keys(RangeRequest.Builder request) {
        return range(request).getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList();
    }

    DeleteRangeResponse delete(DeleteRangeRequest.Builder request) {
        return kv.deleteRange(request.build());
    }

    TxnResponse txn(TxnRequest request) {
        return kv.txn(request);
    }

    CompactionResponse compact(long revision) {
        return kv.compact(CompactionRequest.newBuilder().setRevision(revision).build());
    }

    long grantLease(long ttlSeconds) {
        return lease.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(ttlSeconds).build()).getID();
    }

    void revokeLease(long id) {
        lease.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(id).build());
    }
}
