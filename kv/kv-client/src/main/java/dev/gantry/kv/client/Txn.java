package dev.gantry.kv.client;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.ResponseOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.TxnResponse;

/**
 * One etcd transaction: if every compare holds, the writes; otherwise the reads of {@link #elseGet}. This is
 * how Gantry changes shared state: compare what was read (a mod revision, a lease), write, or learn what
 * changed and try again.
 */
public final class Txn {
    private final KvClient client;
    private final TxnRequest.Builder request = TxnRequest.newBuilder();

    Txn(KvClient client) {
        this.client = client;
    }

    /** The key does not exist. */
    public Txn ifAbsent(String key) {
        return compare(key, Compare.CompareTarget.VERSION, Compare.CompareResult.EQUAL, b -> b.setVersion(0));
    }

    /** The key was last written at {@code modRevision} (0: it does not exist). */
    public Txn ifModRevision(String key, long modRevision) {
        return compare(key, Compare.CompareTarget.MOD, Compare.CompareResult.EQUAL, b -> b.setModRevision(modRevision));
    }

    /** The key exists and is attached to {@code leaseId}: its owner's lease is still alive. */
    public Txn ifLease(String key, long leaseId) {
        return compare(key, Compare.CompareTarget.LEASE, Compare.CompareResult.EQUAL, b -> b.setLease(leaseId));
    }

    /**
     * No key under {@code prefix} was written after {@code revision} (keys deleted since do not count): e.g. no
     * other claim landed on a node since the state a decision was made from was read.
     */
    public Txn ifPrefixUnchangedSince(String prefix, long revision) {
        request.addCompare(Compare.newBuilder().setKey(Prefixes.key(prefix)).setRangeEnd(Prefixes.rangeEnd(prefix))
                .setTarget(Compare.CompareTarget.MOD).setResult(Compare.CompareResult.LESS).setModRevision(revision + 1));
        return this;
    }

    private Txn compare(String key, Compare.CompareTarget target, Compare.CompareResult result,
            java.util.function.Consumer<Compare.Builder> value) {
        Compare.Builder compare = Compare.newBuilder().setKey(Prefixes.key(key)).setTarget(target).setResult(result);
        value.accept(compare);
        request.addCompare(compare);
        return this;
    }

    public Txn put(String key, String value) {
        return put(key, value, 0);
    }

    public Txn put(String key, String value, long leaseId) {
        request.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(Prefixes.key(key))
                .setValue(ByteString.copyFromUtf8(value)).setLease(leaseId)));
        return this;
    }

    public Txn delete(String key) {
        request.addSuccess(RequestOp.newBuilder().setRequestDeleteRange(
                DeleteRangeRequest.newBuilder().setKey(Prefixes.key(key))));
        return this;
    }

    /** Reads the key when a compare fails, to see what changed. */
    public Txn elseGet(String key) {
        request.addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(Prefixes.key(key))));
        return this;
    }

    public TxnResult commit() {
        TxnResponse response = client.txn(request.build());
        return new TxnResult(response.getSucceeded(), response.getHeader().getRevision(),
                response.getResponsesList().stream()
                        .filter(ResponseOp::hasResponseRange)
                        .flatMap(op -> op.getResponseRange().getKvsList().stream())
                        .map(Kv::of)
                        .toList());
    }
}
