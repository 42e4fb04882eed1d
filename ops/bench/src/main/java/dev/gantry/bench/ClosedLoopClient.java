package dev.gantry.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.gantry.kv.api.etcd.KVGrpc;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One benchmark client: it has exactly one request outstanding and sends the next one from the callback
 * of the previous answer, so a hundred clients need no hundred threads. After a failure it waits
 * {@link LoadRun#RETRY_PAUSE} before sending again, so that a refusing server is not hammered in a hot loop.
 */
final class ClosedLoopClient implements FutureCallback<Object> {

    private final KVGrpc.KVFutureStub kv;
    private final Workload workload;
    private final SplittableRandom random;
    private final LoadRun run;
    private final long timeoutNanos;
    private long sentAt;

    ClosedLoopClient(KVGrpc.KVFutureStub kv, Workload workload, SplittableRandom random, LoadRun run, long timeoutNanos) {
        this.kv = kv;
        this.workload = workload;
        this.random = random;
        this.run = run;
        this.timeoutNanos = timeoutNanos;
    }

    void send() {
        sentAt = System.nanoTime();
        var answer = workload.send(kv.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS), random);
        Futures.addCallback(answer, this, MoreExecutors.directExecutor());
    }

    @Override
    public void onSuccess(Object response) {
        run.recorder().success(System.nanoTime() - sentAt);
        if (run.answered()) {
            send();
        }
    }

    @Override
    public void onFailure(Throwable error) {
        run.recorder().failure(error);
        if (run.answered()) {
            run.later(this::send);
        }
    }
}
