package dev.gantry.kv.mvcc;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;

/**
 * The stateless checks etcd makes at its gRPC edge, before a request is proposed: empty keys, sort options,
 * conflicting put flags, the txn operation budget and duplicate keys within a txn branch.
 */
public final class RequestChecks {
    private RequestChecks() {
    }

    public static void checkRange(RangeRequest r) {
        if (r.getKey().isEmpty()) {
            throw EtcdError.EMPTY_KEY.exception();
        }
        if (RangeRequest.SortOrder.forNumber(r.getSortOrderValue()) == null
                || RangeRequest.SortTarget.forNumber(r.getSortTargetValue()) == null) {
            throw EtcdError.INVALID_SORT_OPTION.exception();
        }
    }

    public static void checkPut(PutRequest r) {
        if (r.getKey().isEmpty()) {
            throw EtcdError.EMPTY_KEY.exception();
        }
        if (r.getIgnoreValue() && !r.getValue().isEmpty()) {
            throw EtcdError.VALUE_PROVIDED.exception();
        }
        if (r.getIgnoreLease() && r.getLease() != 0) {
            throw EtcdError.LEASE_PROVIDED.exception();
        }
    }

    public static void checkDelete(DeleteRangeRequest r) {
        if (r.getKey().isEmpty()) {
            throw EtcdError.EMPTY_KEY.exception();
        }
    }

    /** The whole txn: operation budget (nested txns spend from what is left), keys, then duplicate keys. */
    public static void checkTxn(TxnRequest r, int maxTxnOps) {
        checkOps(r, maxTxnOps);
        Writes.of(r.getSuccessList());
        Writes.of(r.getFailureList());
    }

    private static void checkOps(TxnRequest r, int maxTxnOps) {
        int ops = Math.max(r.getCompareCount(), Math.max(r.getSuccessCount(), r.getFailureCount()));
        if (ops > maxTxnOps) {
            throw EtcdError.TOO_MANY_OPS.exception();
        }
        for (Compare c : r.getCompareList()) {
            if (c.getKey().isEmpty()) {
                throw EtcdError.EMPTY_KEY.exception();
            }
        }
        for (RequestOp op : r.getSuccessList()) {
            checkOp(op, maxTxnOps - ops);
        }
        for (RequestOp op : r.getFailureList()) {
            checkOp(op, maxTxnOps - ops);
        }
    }

    private static void checkOp(RequestOp op, int budget) {
        switch (op.getRequestCase()) {
            case REQUEST_RANGE -> checkRange(op.getRequestRange());
            case REQUEST_PUT -> checkPut(op.getRequestPut());
            case REQUEST_DELETE_RANGE -> checkDelete(op.getRequestDeleteRange());
            case REQUEST_TXN -> checkOps(op.getRequestTxn(), budget);
            default -> throw EtcdError.KEY_NOT_FOUND.exception(); // an empty RequestOp, as etcd answers it
        }
    }

    /**
     * The keys one txn branch writes, including its nested txns: a key may be put only once and never inside
     * a range the same branch deletes. The two branches of a nested txn exclude each other, so they may put
     * the same key.
     */
    private record Writes(Set<ByteString> puts, List<KeyRange> deletes) {
        static Writes of(List<RequestOp> ops) {
            Writes w = new Writes(new HashSet<>(), new java.util.ArrayList<>());
            for (RequestOp op : ops) {
                if (op.hasRequestDeleteRange()) {
                    DeleteRangeRequest d = op.getRequestDeleteRange();
                    w.deletes.add(KeyRange.of(d.getKey(), d.getRangeEnd()));
                }
            }
            for (RequestOp op : ops) {
                if (!op.hasRequestTxn()) {
                    continue;
                }
                Writes then = of(op.getRequestTxn().getSuccessList());
                Writes otherwise = of(op.getRequestTxn().getFailureList());
                for (ByteString k : then.puts) {
                    w.addPut(k);
                }
                for (ByteString k : otherwise.puts) {
                    if (w.puts.contains(k) && !then.puts.contains(k)) {
                        throw EtcdError.DUPLICATE_KEY.exception();
                    }
                    w.checkNotDeleted(k);
                    w.puts.add(k);
                }
                w.deletes.addAll(then.deletes);
                w.deletes.addAll(otherwise.deletes);
            }
            for (RequestOp op : ops) {
                if (op.hasRequestPut()) {
                    w.addPut(op.getRequestPut().getKey());
                }
            }
            return w;
        }

        private void addPut(ByteString key) {
            if (!puts.add(key)) {
                throw EtcdError.DUPLICATE_KEY.exception();
            }
            checkNotDeleted(key);
        }

        private void checkNotDeleted(ByteString key) {
            byte[] k = key.toByteArray();
            for (KeyRange d : deletes) {
                if (d.contains(k)) {
                    throw EtcdError.DUPLICATE_KEY.exception();
                }
            }
        }
    }
}
