package dev.gantry.scheduler;

import java.util.List;

import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Task;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Txn;
import dev.gantry.scheduler.placement.NodeCapacity;

/**
 * Claims tasks on one node with one txn. It applies only if, for every task, the task is unchanged since it
 * was read ({@code mod_revision}); the node's key is still attached to the lease it was read with (a lost
 * node gets nothing); no assignment under {@code /assignments/<node>/} was written after the revision the
 * decision was made from (so two schedulers never hand out the same GPUs); and, when elected, this scheduler
 * still holds its election key's lease. Then it writes each task SCHEDULED and its assignment.
 */
final class Claims {
    /** etcd counts a txn's compares and its writes against --max-txn-ops (128 by default): 2 writes per task. */
    static final int MAX_PER_TXN = 32;

    private final KvClient client;

    Claims(KvClient client) {
        this.client = client;
    }

    /** Commits the claims (each task's next value is SCHEDULED); returns the txn's revision, or -1 when a compare failed (nothing was written). */
    long commit(NodeCapacity node, List<TaskUpdate> claims, long decidedAt, Fence fence) {
        Txn txn = fence.apply(client.txn())
                .ifLease(Keys.node(node.id()), node.lease())
                .ifPrefixUnchangedSince(Keys.assignments(node.id()), decidedAt);
        claims.forEach(claim -> claim.compare(txn));
        for (TaskUpdate claim : claims) {
            Task scheduled = claim.next();
            txn.put(claim.key(), Json.write(scheduled))
                    .put(Keys.assignment(node.id(), scheduled.id()), Json.write(Assignment.of(scheduled)));
        }
        var result = txn.commit();
        return result.succeeded() ? result.revision() : -1;
    }
}
