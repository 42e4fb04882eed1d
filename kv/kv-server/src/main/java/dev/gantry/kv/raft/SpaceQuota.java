package dev.gantry.kv.raft;

import java.util.List;

import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.raft.Command;

/**
 * etcd's {@code --quota-backend-bytes} check ({@code etcdserver/quota.go}): a write is admitted while the
 * store's size plus the write's estimated cost stays below the quota. The estimates are etcd's: 256 bytes of
 * overhead plus key and value per put, the costlier branch of a txn, 64 bytes per lease.
 */
public final class SpaceQuota {
    private static final int PUT_OVERHEAD = 256;
    private static final long LEASE_COST = 64;

    private final long bytes;

    SpaceQuota(long bytes) {
        this.bytes = bytes;
    }

    public long bytes() {
        return bytes;
    }

    boolean admits(long size, long cost) {
        return size + cost < bytes;
    }

    /** What a command would add to the store: 0 for all but puts, txns with puts and lease grants. */
    static long cost(Command command) {
        return switch (command.getOpCase()) {
            case PUT -> cost(command.getPut());
            case TXN -> cost(command.getTxn());
            case LEASE_GRANT -> LEASE_COST;
            default -> 0;
        };
    }

    private static long cost(PutRequest r) {
        return PUT_OVERHEAD + r.getKey().size() + r.getValue().size();
    }

    /** 0 for a txn without puts (nested txns count: see {@code AlarmApplier.hasPut}). */
    private static long cost(TxnRequest r) {
        return Math.max(cost(r.getSuccessList()), cost(r.getFailureList()));
    }

    private static long cost(List<RequestOp> ops) {
        long sum = 0;
        for (RequestOp op : ops) {
            if (op.hasRequestPut()) {
                sum += cost(op.getRequestPut());
            } else if (op.hasRequestTxn()) {
                sum += cost(op.getRequestTxn());
            }
        }
        return sum;
    }
}
