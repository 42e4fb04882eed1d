package dev.gantry.kv.mvcc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.CompactionResponse;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.DeleteRangeResponse;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.etcd.ResponseOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.TxnResponse;
import dev.gantry.kv.api.mvcc.KeyValue;

/**
 * etcd's KV operations over an {@link MvccView}: Range, Put, DeleteRange, Txn and Compact with etcd's exact
 * semantics. The view decides isolation: a read-only view for reads and read-only txns, a write view inside
 * an applied Raft entry for the rest. Every check that can fail runs before the first write, so a failed
 * request changes nothing.
 */
public final class KvApplier {
    private KvApplier() {
    }

    // ---- Range ----

    public static RangeResponse range(MvccView view, RangeRequest r) {
        boolean pushLimitDown = r.getSortOrder() == RangeRequest.SortOrder.NONE
                && r.getMinModRevision() == 0 && r.getMaxModRevision() == 0
                && r.getMinCreateRevision() == 0 && r.getMaxCreateRevision() == 0;
        int keep;
        if (r.getCountOnly()) {
            keep = 0;
        } else if (pushLimitDown && r.getLimit() > 0) {
            keep = (int) Math.min(Integer.MAX_VALUE, r.getLimit() + 1); // one more, to tell "more"
        } else {
            keep = Integer.MAX_VALUE;
        }
        RangeResult found = view.range(KeyRange.of(r.getKey(), r.getRangeEnd()), r.getRevision(), keep);

        List<KeyValue> kvs = new ArrayList<>(found.kvs());
        kvs.removeIf(kv -> (r.getMaxModRevision() != 0 && kv.getModRevision() > r.getMaxModRevision())
                || (r.getMinModRevision() != 0 && kv.getModRevision() < r.getMinModRevision())
                || (r.getMaxCreateRevision() != 0 && kv.getCreateRevision() > r.getMaxCreateRevision())
                || (r.getMinCreateRevision() != 0 && kv.getCreateRevision() < r.getMinCreateRevision()));

        RangeRequest.SortOrder order = r.getSortOrder();
        if (r.getSortTarget() != RangeRequest.SortTarget.KEY && order == RangeRequest.SortOrder.NONE) {
            order = RangeRequest.SortOrder.ASCEND; // etcd: a sort target without an order ascends
        }
        if (order != RangeRequest.SortOrder.NONE) {
            Comparator<KeyValue> by = comparator(r.getSortTarget());
            kvs.sort(order == RangeRequest.SortOrder.DESCEND ? by.reversed() : by);
        }

        RangeResponse.Builder resp = RangeResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setRevision(view.readRevision()))
                .setCount(found.count());
        if (r.getLimit() > 0 && kvs.size() > r.getLimit()) {
            kvs = kvs.subList(0, (int) r.getLimit());
            resp.setMore(true);
        }
        for (KeyValue kv : kvs) {
            resp.addKvs(r.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
        }
        return resp.build();
    }

    private static Comparator<KeyValue> comparator(RangeRequest.SortTarget target) {
        return switch (target) {
            case VERSION -> Comparator.comparingLong(KeyValue::getVersion);
            case CREATE -> Comparator.comparingLong(KeyValue::getCreateRevision);
            case MOD -> Comparator.comparingLong(KeyValue::getModRevision);
            case VALUE -> (a, b) -> Arrays.compareUnsigned(a.getValue().toByteArray(), b.getValue().toByteArray());
            default -> (a, b) -> Arrays.compareUnsigned(a.getKey().toByteArray(), b.getKey().toByteArray());
        };
    }

    // ---- Put ----

    public static PutResponse put(MvccView view, PutRequest r) {
        checkPut(view, r);
        return doPut(view, r);
    }

    private static void checkPut(MvccView view, PutRequest r) {
        if (r.getLease() != 0 && !view.leaseExists(r.getLease())) {
            throw EtcdError.LEASE_NOT_FOUND.exception();
        }
        if ((r.getIgnoreValue() || r.getIgnoreLease()) && view.get(r.getKey().toByteArray()) == null) {
            throw EtcdError.KEY_NOT_FOUND.exception();
        }
    }

    private static PutResponse doPut(MvccView view, PutRequest r) {
        byte[] key = r.getKey().toByteArray();
        KeyValue current = (r.getIgnoreValue() || r.getIgnoreLease()) ? view.get(key) : null;
        KeyValue prev = view.put(key,
                r.getIgnoreValue() ? current.getValue() : r.getValue(),
                r.getIgnoreLease() ? current.getLease() : r.getLease());
        PutResponse.Builder resp = PutResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setRevision(view.readRevision()));
        if (r.getPrevKv() && prev != null) {
            resp.setPrevKv(prev);
        }
        return resp.build();
    }

    // ---- DeleteRange ----

    public static DeleteRangeResponse deleteRange(MvccView view, DeleteRangeRequest r) {
        List<KeyValue> deleted = view.delete(KeyRange.of(r.getKey(), r.getRangeEnd()));
        DeleteRangeResponse.Builder resp = DeleteRangeResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setRevision(view.readRevision()))
                .setDeleted(deleted.size());
        if (r.getPrevKv()) {
            resp.addAllPrevKvs(deleted);
        }
        return resp.build();
    }

    // ---- Txn ----

    /**
     * Evaluates every compare — of this txn and of the nested txns on the taken branches — against the state
     * before the txn (as etcd does), checks the requests on that path, then executes it.
     */
    public static TxnResponse txn(MvccView view, TxnRequest r) {
        List<Boolean> path = new ArrayList<>();
        comparePath(view, r, path);
        checkPath(view, r, path, new int[]{0});
        return execute(view, r, path, new int[]{0}).toBuilder()
                .setHeader(ResponseHeader.newBuilder().setRevision(view.readRevision()))
                .build();
    }

    /** A txn with no put or delete anywhere (it can be served by the read path, without Raft). */
    public static boolean isReadOnly(TxnRequest r) {
        return isReadOnly(r.getSuccessList()) && isReadOnly(r.getFailureList());
    }

    private static boolean isReadOnly(List<RequestOp> ops) {
        for (RequestOp op : ops) {
            switch (op.getRequestCase()) {
                case REQUEST_PUT, REQUEST_DELETE_RANGE -> {
                    return false;
                }
                case REQUEST_TXN -> {
                    if (!isReadOnly(op.getRequestTxn())) {
                        return false;
                    }
                }
                default -> {
                }
            }
        }
        return true;
    }

    private static void comparePath(MvccView view, TxnRequest r, List<Boolean> path) {
        boolean succeeded = r.getCompareList().stream().allMatch(c -> holds(view, c));
        path.add(succeeded);
        for (RequestOp op : succeeded ? r.getSuccessList() : r.getFailureList()) {
            if (op.hasRequestTxn()) {
                comparePath(view, op.getRequestTxn(), path);
            }
        }
    }

    private static void checkPath(MvccView view, TxnRequest r, List<Boolean> path, int[] at) {
        boolean succeeded = path.get(at[0]++);
        for (RequestOp op : succeeded ? r.getSuccessList() : r.getFailureList()) {
            switch (op.getRequestCase()) {
                case REQUEST_PUT -> checkPut(view, op.getRequestPut());
                case REQUEST_RANGE -> view.checkReadable(op.getRequestRange().getRevision());
                case REQUEST_TXN -> checkPath(view, op.getRequestTxn(), path, at);
                default -> {
                }
            }
        }
    }

    private static TxnResponse execute(MvccView view, TxnRequest r, List<Boolean> path, int[] at) {
        boolean succeeded = path.get(at[0]++);
        TxnResponse.Builder resp = TxnResponse.newBuilder().setSucceeded(succeeded);
        for (RequestOp op : succeeded ? r.getSuccessList() : r.getFailureList()) {
            ResponseOp.Builder out = ResponseOp.newBuilder();
            switch (op.getRequestCase()) {
                case REQUEST_RANGE -> out.setResponseRange(range(view, op.getRequestRange()));
                case REQUEST_PUT -> out.setResponsePut(doPut(view, op.getRequestPut()));
                case REQUEST_DELETE_RANGE -> out.setResponseDeleteRange(deleteRange(view, op.getRequestDeleteRange()));
                case REQUEST_TXN -> out.setResponseTxn(execute(view, op.getRequestTxn(), path, at));
                default -> throw new IllegalStateException("empty RequestOp passed the edge checks");
            }
            resp.addResponses(out);
        }
        return resp.build(); // etcd leaves a nested txn's header empty
    }

    /**
     * One compare: it must hold for every key of its range; a missing key compares as a zero KeyValue,
     * except that a VALUE compare on a missing key always fails (etcd cannot tell "missing" from "empty").
     */
    static boolean holds(MvccView view, Compare c) {
        List<KeyValue> kvs = view.range(KeyRange.of(c.getKey(), c.getRangeEnd()), 0, Integer.MAX_VALUE).kvs();
        if (kvs.isEmpty()) {
            return c.getTarget() != Compare.CompareTarget.VALUE && holds(c, KeyValue.getDefaultInstance());
        }
        return kvs.stream().allMatch(kv -> holds(c, kv));
    }

    private static boolean holds(Compare c, KeyValue kv) {
        int result = switch (c.getTarget()) {
            case VERSION -> Long.compare(kv.getVersion(), c.getVersion());
            case CREATE -> Long.compare(kv.getCreateRevision(), c.getCreateRevision());
            case MOD -> Long.compare(kv.getModRevision(), c.getModRevision());
            case VALUE -> Integer.signum(Arrays.compareUnsigned(kv.getValue().toByteArray(), c.getValue().toByteArray()));
            case LEASE -> Long.compare(kv.getLease(), c.getLease());
            default -> 0;
        };
        return switch (c.getResult()) {
            case EQUAL -> result == 0;
            case NOT_EQUAL -> result != 0;
            case GREATER -> result > 0;
            case LESS -> result < 0;
            default -> true;
        };
    }

    // ---- Compact ----

    public static CompactionResponse compact(MvccView view, CompactionRequest r) {
        view.compact(r.getRevision());
        return CompactionResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setRevision(view.revision()))
                .build();
    }
}
