package dev.gantry.it.kv;

import com.google.protobuf.ByteString;
import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.Compare.CompareResult;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.mvcc.KeyValue;

import java.util.List;

/** Builders for etcd requests, with string keys and values (UTF-8), so tests read like the rule they check. */
final class Ops {

    private Ops() {
    }

    static ByteString bytes(String text) {
        return ByteString.copyFromUtf8(text);
    }

    /** The range_end that makes a range the prefix {@code prefix}: its last byte plus one. */
    static ByteString prefixEnd(ByteString prefix) {
        byte[] end = prefix.toByteArray();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return ByteString.copyFrom(end, 0, i + 1);
            }
        }
        return ByteString.copyFrom(new byte[] {0});
    }

    static PutRequest.Builder put(String key, String value) {
        return PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value));
    }

    static RangeRequest.Builder get(String key) {
        return RangeRequest.newBuilder().setKey(bytes(key));
    }

    /** Range [from, to). */
    static RangeRequest.Builder range(String from, String to) {
        return get(from).setRangeEnd(bytes(to));
    }

    static RangeRequest.Builder prefix(String prefix) {
        return get(prefix).setRangeEnd(prefixEnd(bytes(prefix)));
    }

    static DeleteRangeRequest.Builder delete(String key) {
        return DeleteRangeRequest.newBuilder().setKey(bytes(key));
    }

    /** Delete [from, to). */
    static DeleteRangeRequest.Builder delete(String from, String to) {
        return delete(from).setRangeEnd(bytes(to));
    }

    static RequestOp op(PutRequest.Builder put) {
        return RequestOp.newBuilder().setRequestPut(put).build();
    }

    static RequestOp op(RangeRequest.Builder range) {
        return RequestOp.newBuilder().setRequestRange(range).build();
    }

    static RequestOp op(DeleteRangeRequest.Builder delete) {
        return RequestOp.newBuilder().setRequestDeleteRange(delete).build();
    }

    static RequestOp op(TxnRequest txn) {
        return RequestOp.newBuilder().setRequestTxn(txn).build();
    }

    static TxnRequest txn(List<Compare> compares, List<RequestOp> success, List<RequestOp> failure) {
        return TxnRequest.newBuilder().addAllCompare(compares).addAllSuccess(success).addAllFailure(failure).build();
    }

    /** A txn without compares: it always takes the success branch. */
    static TxnRequest txn(RequestOp... success) {
        return txn(List.of(), List.of(success), List.of());
    }

    static Compare.Builder compare(String key, CompareResult result) {
        return Compare.newBuilder().setKey(bytes(key)).setResult(result);
    }

    static Compare version(String key, CompareResult result, long version) {
        return compare(key, result).setTarget(Compare.CompareTarget.VERSION).setVersion(version).build();
    }

    static Compare createRevision(String key, CompareResult result, long revision) {
        return compare(key, result).setTarget(Compare.CompareTarget.CREATE).setCreateRevision(revision).build();
    }

    static Compare modRevision(String key, CompareResult result, long revision) {
        return compare(key, result).setTarget(Compare.CompareTarget.MOD).setModRevision(revision).build();
    }

    static Compare value(String key, CompareResult result, String value) {
        return compare(key, result).setTarget(Compare.CompareTarget.VALUE).setValue(bytes(value)).build();
    }

    static Compare lease(String key, CompareResult result, long lease) {
        return compare(key, result).setTarget(Compare.CompareTarget.LEASE).setLease(lease).build();
    }

    /** The KeyValue etcd returns for a key, for exact comparisons. */
    static KeyValue kv(String key, String value, long createRevision, long modRevision, long version, long lease) {
        return KeyValue.newBuilder()
                .setKey(bytes(key))
                .setValue(bytes(value))
                .setCreateRevision(createRevision)
                .setModRevision(modRevision)
                .setVersion(version)
                .setLease(lease)
                .build();
    }

    static KeyValue kv(String key, String value, long createRevision, long modRevision, long version) {
        return kv(key, value, createRevision, modRevision, version, 0);
    }
}
