package dev.gantry.kv.concurrency;

import java.util.concurrent.CompletableFuture;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.mvcc.KeyRange;

/**
 * The queue discipline behind etcd's locks and elections (clientv3 {@code concurrency.waitDeletes}): the
 * holder is the key of the prefix created first; a waiter waits, one predecessor at a time, until every key
 * of the prefix created before its own is gone.
 */
final class Waiting {
    private Waiting() {
    }

    /**
     * Completes once no key under {@code prefix} has a create revision at or below {@code maxCreateRevision}.
     * {@code cancelled} completing stops the wait.
     */
    static CompletableFuture<Void> predecessorsGone(InProcessClient client, ByteString prefix, long maxCreateRevision,
                                                    CompletableFuture<Void> cancelled) {
        if (cancelled.isDone()) {
            return CompletableFuture.failedFuture(new java.util.concurrent.CancellationException("the caller went away"));
        }
        RangeRequest last = RangeRequest.newBuilder()
                .setKey(prefix).setRangeEnd(KeyRange.prefixEnd(prefix))
                .setSortTarget(RangeRequest.SortTarget.CREATE).setSortOrder(RangeRequest.SortOrder.DESCEND)
                .setLimit(1).setMaxCreateRevision(maxCreateRevision)
                .build();
        return client.range(last).thenCompose(resp -> {
            if (resp.getKvsCount() == 0) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> deleted = client.deleted(resp.getKvs(0).getKey(), resp.getHeader().getRevision());
            cancelled.whenComplete((r, e) -> deleted.cancel(false));
            return deleted.thenCompose(ignored -> predecessorsGone(client, prefix, maxCreateRevision, cancelled));
        });
    }

    /** The first-created key under {@code prefix}: the holder. */
    static RangeRequest firstCreated(ByteString prefix) {
        return RangeRequest.newBuilder()
                .setKey(prefix).setRangeEnd(KeyRange.prefixEnd(prefix))
                .setSortTarget(RangeRequest.SortTarget.CREATE).setSortOrder(RangeRequest.SortOrder.ASCEND)
                .setLimit(1)
                .build();
    }
}
