package dev.gantry.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrantResponse;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseKeepAliveRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveResponse;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * The lease keep-alive workload. First {@code --leases} leases are granted with {@code --ttl}, 64 grants in
 * flight at a time (not measured, but the grant rate is reported). Then {@code --streams} LeaseKeepAlive
 * streams (stream {@code j} on connection {@code j mod conns}) each keep {@code --window} keep-alive
 * requests in flight: a stream sends a request for its next lease whenever an answer arrives. Stream
 * {@code j} owns the leases {@code j, j+streams, j+2*streams, ...} and cycles through them, never with two
 * requests for one lease in flight; the answer is matched to its request by lease ID. The warm-up,
 * measurement and drain are those of {@link LoadRun}; latency is from sending a request to handling its
 * answer. An answer with TTL {@code <= 0} (the lease expired or is unknown) counts as a failed request
 * ({@code expired}). At the end every lease is revoked.
 */
final class KeepAliveRun {

    private static final int GRANTS_IN_FLIGHT = 64;
    private static final StatusRuntimeException EXPIRED =
            Status.NOT_FOUND.withDescription("keep-alive answered with TTL <= 0: the lease expired or is unknown").asRuntimeException();

    private final BenchOptions options;
    private final Connections connections;

    KeepAliveRun(BenchOptions options, Connections connections) {
        this.options = options;
        this.connections = connections;
    }

    RunReport run() throws InterruptedException {
        long grantStart = System.nanoTime();
        long[] leases = grantAll();
        double grantSeconds = (System.nanoTime() - grantStart) / 1e9;
        try {
            int streamCount = options.streams();
            LoadRun run = new LoadRun(options, "keepalive", streamCount, streamCount * options.window());
            List<KeepAliveStream> streams = new ArrayList<>(streamCount);
            for (int j = 0; j < streamCount; j++) {
                long[] own = new long[(leases.length - j + streamCount - 1) / streamCount];
                for (int k = 0; k < own.length; k++) {
                    own[k] = leases[j + k * streamCount];
                }
                streams.add(new KeepAliveStream(LeaseGrpc.newStub(connections.forClient(j)), own, run));
            }
            RunReport report = run.run(String.format("%d streams, %d keep-alive(s) in flight each, over %d leases",
                    streamCount, options.window(), leases.length), () -> streams.forEach(KeepAliveStream::start));
            streams.forEach(KeepAliveStream::close);
            long expired = 0;
            long streamErrors = 0;
            for (KeepAliveStream stream : streams) {
                synchronized (stream) {
                    expired += stream.expired;
                    streamErrors += stream.failures;
                }
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("leases", (long) leases.length);
            extra.put("streams", streamCount);
            extra.put("window", options.window());
            extra.put("ttl_s", options.ttlSeconds());
            extra.put("expired", expired);
            extra.put("stream_errors", streamErrors);
            extra.put("grant_rate", leases.length / grantSeconds);
            return report.withExtra(extra);
        } finally {
            revokeAll(leases);
        }
    }

    /** Grants {@code --leases} leases; fails if too few were granted for the streams and windows. */
    private long[] grantAll() throws InterruptedException {
        LoadRun.log("keepalive: granting %d leases (TTL %ds), %d at a time, over %d connections to %s",
                options.leases(), options.ttlSeconds(), GRANTS_IN_FLIGHT, options.conns(), String.join(",", options.endpoints()));
        long[] ids = new long[options.leases()];
        long start = System.nanoTime();
        Outcome outcome = forEach(options.leases(), i -> LeaseGrpc.newFutureStub(connections.forClient(i))
                .withDeadlineAfter(options.timeout().toNanos(), TimeUnit.NANOSECONDS)
                .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(options.ttlSeconds()).build()), (i, answer) -> {
                    LeaseGrantResponse response = (LeaseGrantResponse) answer;
                    if (!response.getError().isEmpty()) {
                        throw Status.FAILED_PRECONDITION.withDescription(response.getError()).asRuntimeException();
                    }
                    ids[i] = response.getID();
                });
        long[] granted = Arrays.stream(ids).filter(id -> id != 0).toArray();
        LoadRun.log("keepalive: %d leases granted in %.1fs%s", granted.length, (System.nanoTime() - start) / 1e9,
                outcome.failures() > 0 ? "; " + outcome.failures() + " grants failed, the first: " + outcome.first() : "");
        if (granted.length < (long) options.streams() * options.window()) {
            revokeAll(granted);
            throw new IllegalStateException("keepalive: only " + granted.length + " leases were granted, fewer than"
                    + " --streams x --window" + (outcome.first() != null ? "; the first failure: " + outcome.first() : ""));
        }
        return granted;
    }

    private void revokeAll(long[] leases) throws InterruptedException {
        long start = System.nanoTime();
        Outcome outcome = forEach(leases.length, i -> LeaseGrpc.newFutureStub(connections.forClient(i))
                .withDeadlineAfter(options.timeout().toNanos(), TimeUnit.NANOSECONDS)
                .leaseRevoke(LeaseRevokeRequest.newBuilder().setID(leases[i]).build()), (i, answer) -> { });
        LoadRun.log("keepalive: %d leases revoked in %.1fs%s", leases.length - outcome.failures(),
                (System.nanoTime() - start) / 1e9,
                outcome.failures() > 0 ? "; " + outcome.failures() + " revokes failed, the first: " + outcome.first() : "");
    }

    private interface Answer {
        void accept(int index, Object answer);
    }

    private record Outcome(long failures, String first) {
    }

    /** Sends {@code count} requests, {@link #GRANTS_IN_FLIGHT} at a time, and waits for all answers. */
    private Outcome forEach(int count, IntFunction<ListenableFuture<?>> request, Answer onAnswer) throws InterruptedException {
        Semaphore inFlight = new Semaphore(GRANTS_IN_FLIGHT);
        AtomicLong failures = new AtomicLong();
        AtomicReference<String> first = new AtomicReference<>();
        for (int i = 0; i < count; i++) {
            inFlight.acquire();
            int index = i;
            Futures.addCallback(request.apply(i), new FutureCallback<Object>() {
                @Override
                public void onSuccess(Object answer) {
                    try {
                        onAnswer.accept(index, answer);
                    } catch (RuntimeException e) {
                        onFailure(e);
                        return;
                    }
                    inFlight.release();
                }

                @Override
                public void onFailure(Throwable error) {
                    failures.incrementAndGet();
                    Status status = Status.fromThrowable(error);
                    first.compareAndSet(null, status.getCode() + ": " + status.getDescription());
                    inFlight.release();
                }
            }, MoreExecutors.directExecutor());
        }
        inFlight.acquire(GRANTS_IN_FLIGHT);
        return new Outcome(failures.get(), first.get());
    }

    /** One LeaseKeepAlive stream with {@code --window} requests in flight. Every method runs under its lock. */
    private final class KeepAliveStream implements StreamObserver<LeaseKeepAliveResponse> {

        private final LeaseGrpc.LeaseStub stub;
        private final long[] leases;
        private final LoadRun run;
        /** Send time of each request in flight, by lease ID. */
        private final Map<Long, Long> sentAt = new HashMap<>();
        private StreamObserver<LeaseKeepAliveRequest> requests;
        private int next;
        /** Slots of a stream being opened whose first requests are not sent yet. */
        private int opening;
        private boolean closed;
        long expired;
        long failures;

        KeepAliveStream(LeaseGrpc.LeaseStub stub, long[] leases, LoadRun run) {
            this.stub = stub;
            this.leases = leases;
            this.run = run;
        }

        synchronized void start() {
            open(options.window());
        }

        private synchronized void open(int slots) {
            opening = slots;
            requests = stub.leaseKeepAlive(this);
            // A call that cannot start (the member is down) may fail inside leaseKeepAlive, on this thread:
            // then onError took the slots over, and opening is 0.
            int toSend = opening;
            opening = 0;
            for (int i = 0; i < toSend; i++) {
                sendNext();
            }
        }

        /** Sends a keep-alive for the next of this stream's leases that has none in flight. */
        private void sendNext() {
            long id;
            do {
                id = leases[next];
                next = (next + 1) % leases.length;
            } while (sentAt.containsKey(id));
            sentAt.put(id, System.nanoTime());
            requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
        }

        @Override
        public synchronized void onNext(LeaseKeepAliveResponse response) {
            long now = System.nanoTime();
            Long sent = sentAt.remove(response.getID());
            if (sent == null) {
                return;  // not an answer to a request in flight: nothing to count
            }
            if (response.getTTL() <= 0) {
                expired++;
                run.recorder().failure(EXPIRED);
            } else {
                run.recorder().success(now - sent);
            }
            if (run.answered()) {
                sendNext();
            }
        }

        @Override
        public synchronized void onError(Throwable error) {
            int lost = sentAt.size() + opening;
            sentAt.clear();
            opening = 0;
            if (closed || lost == 0) {
                return;
            }
            failures++;
            int again = 0;
            for (int i = 0; i < lost; i++) {
                run.recorder().failure(error);
                if (run.answered()) {
                    again++;
                }
            }
            int slots = again;
            if (slots > 0) {
                run.later(() -> open(slots));
            }
        }

        @Override
        public synchronized void onCompleted() {
            onError(Status.UNAVAILABLE.withDescription("the server ended the keep-alive stream").asRuntimeException());
        }

        synchronized void close() {
            closed = true;
            requests.onCompleted();
        }
    }
}
