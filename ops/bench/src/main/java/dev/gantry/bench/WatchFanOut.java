package dev.gantry.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.api.mvcc.KeyValue;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The watch fan-out workload: {@code --watchers} watchers on one key prefix, and one writer that puts new
 * keys under that prefix at a steady {@code --rate}, so that every put is one event for every watcher.
 *
 * <p><b>Layout.</b> Watcher {@code i} is created on watch stream {@code i mod streams}, and stream
 * {@code j} runs on connection {@code j mod conns} ({@link Connections}: connection {@code k} goes to
 * endpoint {@code k mod endpoints}). As etcd's Go client does, a stream creates its watchers one at a
 * time, each after the previous one was confirmed ({@code created}); all watchers exist before the first
 * put. The writer has a connection of its own, to {@code --writer-endpoint}.
 *
 * <p><b>The writer</b> is open loop: put {@code n} is due at {@code start + n / rate}, whether or not the
 * earlier puts were answered (at most {@link #maxPutsInFlight} in flight; when that many are, it waits, and
 * {@code writer_max_lag_ms} shows it). Put {@code n} writes the new key {@code <prefix>/<n>}; the first
 * {@link #HEADER_BYTES} bytes of its value are {@code n} and the writer's {@link System#nanoTime()} just
 * before the put was handed to gRPC, big-endian, and the rest is random padding up to {@code --value-size}.
 *
 * <p><b>Delivery latency</b> of an event at a watcher: the client's {@code System.nanoTime()} when the
 * WatchResponse carrying it is handled, minus the send time in the value. Writer and watchers are in one
 * JVM, so it is one clock. It includes the put's own commit (consensus, fsync, apply), which is also
 * reported alone ({@code put_p50_ms}, {@code put_p99_ms}): delivery after the put was acknowledged is
 * roughly the difference.
 *
 * <p><b>Phases.</b> Warm-up (a time, or a count of puts), then measurement; the puts sent during the
 * measurement are the measured puts. Throughput is the measured puts' events received by all watchers,
 * divided by the time from the end of the warm-up to the arrival of the last of them; their delivery
 * latencies go into the histogram. After the measurement the writer stops, and the run waits until every
 * watcher got every acknowledged put's event, or no event arrived for {@link #QUIET}.
 *
 * <p><b>Checks</b> over the whole run (warm-up included): {@code missed} counts (watcher, acknowledged put)
 * pairs without an event, {@code duplicates} events a watcher got twice, {@code out_of_order} events with a
 * lower mod_revision than the previous one at the same watcher, {@code unexpected} events that are no put
 * of this run. All must be 0. Keys of a run are under a fresh prefix, deleted at the end.
 */
final class WatchFanOut {

    /** Sequence number and send time at the start of each value. */
    static final int HEADER_BYTES = 16;
    /** The drain gives up after this long without a new event. */
    private static final Duration QUIET = Duration.ofSeconds(3);

    private final BenchOptions options;
    private final Connections connections;
    private final ByteString padding;
    private final String prefix;
    private final ByteString prefixBytes;
    private final ByteString rangeEnd;
    private final int maxPutsInFlight;
    /** Delivery latencies of the measured puts' events (first delivery to each watcher only). */
    private final LatencyRecorder delivery = new LatencyRecorder();
    private final LatencyRecorder putLatency = new LatencyRecorder();
    /** First deliveries, of any put: what the drain waits for. */
    private final LongAdder delivered = new LongAdder();
    private final List<WatchStream> streams = new ArrayList<>();
    /** The measured puts are those with {@code measureFrom <= n < measureTo}. */
    private volatile long measureFrom = Long.MAX_VALUE;
    private volatile long measureTo = Long.MAX_VALUE;
    private Writer writer;

    WatchFanOut(BenchOptions options, Connections connections, ByteString value) {
        this.options = options;
        this.connections = connections;
        this.padding = value.substring(0, options.valueSize() - HEADER_BYTES);
        byte[] run = new byte[4];
        ThreadLocalRandom.current().nextBytes(run);
        // A fresh prefix per run: no event of an earlier run (or of a second rate) can reach these watchers.
        this.prefix = "/gantry-bench/watch/" + HexFormat.of().formatHex(run) + "/";
        this.prefixBytes = ByteString.copyFromUtf8(prefix);
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        end[end.length - 1]++;
        this.rangeEnd = ByteString.copyFrom(end);
        this.maxPutsInFlight = (int) Math.max(100, Math.min(10_000, Math.ceil(options.rate())));
    }

    RunReport run() throws InterruptedException {
        try (Connections writerConnection = Connections.open(List.of(options.writerEndpoint()), 1)) {
            writer = new Writer(KVGrpc.newFutureStub(writerConnection.forClient(0)));
            createWatchers();

            Thread writerThread = new Thread(writer, "bench-writer");
            writerThread.setDaemon(true);
            writerThread.start();
            LoadRun.log("watch: writer puts %s keys/s under %s to %s; warm-up %s", rate(), prefix,
                    options.writerEndpoint(), describe(options.warmup()));
            awaitPhase(options.warmup(), 0, false);
            measureFrom = writer.sent;
            putLatency.interval();
            long start = System.nanoTime();
            long cpuStart = LoadRun.cpuNanos();
            LoadRun.log("watch: measuring %s", describe(options.measure()));
            awaitPhase(options.measure(), measureFrom, true);
            writer.stopped = true;
            writerThread.join();
            measureTo = writer.sent;
            long measureEnd = System.nanoTime();
            double clientCpu = (LoadRun.cpuNanos() - cpuStart) / (double) (measureEnd - start);

            Duration putDrain = options.timeout().plusSeconds(5);
            if (!writer.inFlight.tryAcquire(maxPutsInFlight, putDrain.toNanos(), TimeUnit.NANOSECONDS)) {
                LoadRun.log("watch: %d puts still unanswered %ds after the writer stopped",
                        maxPutsInFlight - writer.inFlight.availablePermits(), putDrain.toSeconds());
            }
            BitSet acked = writer.acked();
            LoadRun.log("watch: %d puts sent, %d acknowledged, %d failed; waiting for their events",
                    writer.sent, acked.cardinality(), writer.failed().cardinality());
            drain(acked, writer.failed().cardinality());

            RunReport report = report(acked, start, measureEnd).withExtra(Map.of("client_cpu", clientCpu));
            streams.forEach(WatchStream::close);
            deleteKeys(writerConnection);
            return report;
        }
    }

    /** Opens the streams and creates every watcher; returns once all are confirmed. */
    private void createWatchers() throws InterruptedException {
        int streamCount = Math.min(options.streams(), options.watchers());
        for (int j = 0; j < streamCount; j++) {
            int onStream = options.watchers() / streamCount + (j < options.watchers() % streamCount ? 1 : 0);
            streams.add(new WatchStream(WatchGrpc.newStub(connections.forClient(j)), onStream));
        }
        long start = System.nanoTime();
        LoadRun.log("watch: creating %d watchers on %d streams over %d connections to %s", options.watchers(),
                streamCount, Math.min(options.conns(), streamCount), String.join(",", options.endpoints()));
        streams.forEach(WatchStream::open);
        Duration limit = options.timeout().plusSeconds(30);
        try {
            CompletableFuture.allOf(streams.stream().map(s -> s.created).toArray(CompletableFuture[]::new))
                    .get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("watch: a watch stream failed while its watchers were created: "
                    + describe(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("watch: not all watchers were created within " + limit.toSeconds() + "s");
        }
        LoadRun.log("watch: %d watchers created in %d ms", options.watchers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /**
     * Waits for a time, or until {@code limit.answers()} more puts than {@code from} were sent; with
     * {@code last}, the writer sends no put after those.
     */
    private void awaitPhase(Limit limit, long from, boolean last) throws InterruptedException {
        if (limit.isTime()) {
            TimeUnit.NANOSECONDS.sleep(limit.time().toNanos());
            return;
        }
        if (last) {
            writer.stopAt = from + limit.answers();
        }
        while (writer.sent < from + limit.answers()) {
            TimeUnit.MILLISECONDS.sleep(1);
        }
    }

    /** Waits until every watcher got the event of every acknowledged put, or no event came for {@link #QUIET}. */
    private void drain(BitSet acked, int failedPuts) throws InterruptedException {
        long expected = (long) acked.cardinality() * options.watchers();
        long seen = delivered.sum();
        long progressAt = System.nanoTime();
        while (failedPuts > 0 || seen < expected) {
            TimeUnit.MILLISECONDS.sleep(10);
            long now = delivered.sum();
            if (now != seen) {
                seen = now;
                progressAt = System.nanoTime();
            } else if (System.nanoTime() - progressAt > QUIET.toNanos()) {
                if (seen < expected) {
                    LoadRun.log("watch: no event for %ds; %d of %d expected events arrived", QUIET.toSeconds(), seen, expected);
                }
                return;
            }
        }
    }

    private RunReport report(BitSet acked, long start, long measureEnd) {
        long missed = 0;
        long duplicates = 0;
        long outOfOrder = 0;
        long unexpected = 0;
        long canceled = 0;
        long streamErrors = 0;
        long responses = 0;
        long lastArrival = start;
        for (WatchStream stream : streams) {
            synchronized (stream) {
                for (Watcher watcher : stream.watchers) {
                    BitSet notReceived = (BitSet) acked.clone();
                    notReceived.andNot(watcher.received);
                    missed += notReceived.cardinality();
                    duplicates += watcher.duplicates;
                    outOfOrder += watcher.outOfOrder;
                    unexpected += watcher.unexpected;
                }
                unexpected += stream.unknownWatchEvents;
                responses += stream.eventResponses;
                canceled += stream.canceled;
                if (stream.failure != null) {
                    streamErrors++;
                    LoadRun.log("watch: a watch stream failed: %s", describe(stream.failure));
                }
                if (stream.cancelReason != null) {
                    LoadRun.log("watch: a watcher was canceled: %s", stream.cancelReason);
                }
                lastArrival = Math.max(lastArrival, stream.lastMeasuredArrival);
            }
        }
        long measuredPuts = measureTo - measureFrom;
        long measuredAcked = acked.get((int) measureFrom, (int) measureTo).cardinality();
        LatencyRecorder.Interval puts = putLatency.interval();
        Histogram putHistogram = puts.latencies();
        Histogram events = delivery.interval().latencies();
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("watchers", options.watchers());
        extra.put("streams", streams.size());
        extra.put("rate", options.rate());
        extra.put("put_rate", measuredPuts / ((measureEnd - start) / 1e9));
        extra.put("puts", measuredPuts);
        extra.put("put_errors", puts.failures());
        extra.put("put_p50_ms", RunReport.millis(putHistogram.getValueAtPercentile(50)));
        extra.put("put_p99_ms", RunReport.millis(putHistogram.getValueAtPercentile(99)));
        extra.put("writer_max_lag_ms", writer.maxLagNanos / 1e6);
        extra.put("expected_events", measuredAcked * options.watchers());
        extra.put("events_per_response", delivered.sum() / (double) Math.max(1, responses));
        extra.put("checked_puts", (long) acked.cardinality());
        extra.put("missed", missed);
        extra.put("duplicates", duplicates);
        extra.put("out_of_order", outOfOrder);
        extra.put("unexpected", unexpected);
        extra.put("canceled", canceled);
        extra.put("stream_errors", streamErrors);
        if (puts.failures() > 0) {
            LoadRun.log("watch: %d puts failed after the warm-up; all failures by status: %s",
                    puts.failures(), putLatency.failureSummary());
        }
        return RunReport.of("watch", options.watchers(), options.conns(), events,
                puts.failures() + streamErrors + canceled, lastArrival - start, extra);
    }

    private void deleteKeys(Connections writerConnection) {
        try {
            long deleted = KVGrpc.newBlockingStub(writerConnection.forClient(0))
                    .withDeadlineAfter(options.timeout().toNanos(), TimeUnit.NANOSECONDS)
                    .deleteRange(DeleteRangeRequest.newBuilder().setKey(prefixBytes).setRangeEnd(rangeEnd).build())
                    .getDeleted();
            LoadRun.log("watch: deleted the run's %d keys", deleted);
        } catch (RuntimeException e) {
            LoadRun.log("watch: could not delete the run's keys under %s: %s", prefix, describe(e));
        }
    }

    private String rate() {
        return options.rate() == Math.rint(options.rate()) ? String.valueOf((long) options.rate()) : String.valueOf(options.rate());
    }

    private static String describe(Limit limit) {
        return limit.isTime() ? limit.toString() : limit.answers() + " puts";
    }

    private static String describe(Throwable error) {
        Status status = Status.fromThrowable(error);
        return status.getCode() + (status.getDescription() != null ? ": " + status.getDescription() : "");
    }

    private static long readLong(ByteString bytes, int offset) {
        long value = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            value = (value << 8) | (bytes.byteAt(offset + i) & 0xff);
        }
        return value;
    }

    /** The open-loop writer: puts new keys at {@code --rate}, on its own thread. */
    private final class Writer implements Runnable {

        private final KVGrpc.KVFutureStub kv;
        final Semaphore inFlight = new Semaphore(maxPutsInFlight);
        /** Puts sent: those numbered 0 to sent - 1. Written only by the writer thread. */
        volatile long sent;
        volatile boolean stopped;
        /** The writer sends no put numbered this or higher. */
        volatile long stopAt = Long.MAX_VALUE;
        /** The most a put was sent after it was due. Written by the writer thread; read after it ended. */
        long maxLagNanos;
        private final BitSet acked = new BitSet();
        private final BitSet failed = new BitSet();

        Writer(KVGrpc.KVFutureStub kv) {
            this.kv = kv;
        }

        @Override
        public void run() {
            double period = 1e9 / options.rate();
            long start = System.nanoTime();
            try {
                for (long n = 0; n < stopAt; n++) {
                    long due = start + (long) (n * period);
                    long wait;
                    while (!stopped && (wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    // At most maxPutsInFlight unanswered puts: wait for answers. A permit taken is a put sent,
                    // so that the semaphore counts exactly the puts in flight.
                    do {
                        if (stopped) {
                            return;
                        }
                    } while (!inFlight.tryAcquire(10, TimeUnit.MILLISECONDS));
                    sent = n + 1;
                    put(n);
                    maxLagNanos = Math.max(maxLagNanos, System.nanoTime() - due);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void put(long n) {
            ByteString key = prefixBytes.concat(ByteString.copyFromUtf8(String.format("%010d", n)));
            long sentAt = System.nanoTime();
            ByteString header = ByteString.copyFrom(ByteBuffer.allocate(HEADER_BYTES).putLong(n).putLong(sentAt).flip());
            var answer = kv.withDeadlineAfter(options.timeout().toNanos(), TimeUnit.NANOSECONDS)
                    .put(PutRequest.newBuilder().setKey(key).setValue(header.concat(padding)).build());
            Futures.addCallback(answer, new FutureCallback<PutResponse>() {
                @Override
                public void onSuccess(PutResponse response) {
                    putLatency.success(System.nanoTime() - sentAt);
                    synchronized (Writer.this) {
                        acked.set((int) n);
                    }
                    inFlight.release();
                }

                @Override
                public void onFailure(Throwable error) {
                    putLatency.failure(error);
                    synchronized (Writer.this) {
                        failed.set((int) n);
                    }
                    inFlight.release();
                }
            }, MoreExecutors.directExecutor());
        }

        synchronized BitSet acked() {
            return (BitSet) acked.clone();
        }

        synchronized BitSet failed() {
            return (BitSet) failed.clone();
        }
    }

    /** One watcher's record of what it received. Guarded by its stream's lock. */
    private static final class Watcher {
        long id = -1;
        final BitSet received = new BitSet();
        long lastRevision;
        long duplicates;
        long outOfOrder;
        long unexpected;
    }

    /** One Watch stream and its watchers. Every method runs under the stream's lock. */
    private final class WatchStream implements StreamObserver<WatchResponse> {

        private final WatchGrpc.WatchStub stub;
        final Watcher[] watchers;
        private final Map<Long, Watcher> byId = new HashMap<>();
        /** Completes when the last of this stream's watchers was confirmed. */
        final CompletableFuture<Void> created = new CompletableFuture<>();
        private StreamObserver<WatchRequest> requests;
        private int confirmed;
        long unknownWatchEvents;
        /** WatchResponses that carried events, over the whole run. */
        long eventResponses;
        long canceled;
        String cancelReason;
        Throwable failure;
        long lastMeasuredArrival;

        WatchStream(WatchGrpc.WatchStub stub, int watcherCount) {
            this.stub = stub;
            this.watchers = new Watcher[watcherCount];
            for (int i = 0; i < watcherCount; i++) {
                watchers[i] = new Watcher();
            }
        }

        synchronized void open() {
            requests = stub.watch(this);
            if (watchers.length == 0) {
                created.complete(null);
            } else {
                requestWatcher();
            }
        }

        private void requestWatcher() {
            requests.onNext(WatchRequest.newBuilder()
                    .setCreateRequest(WatchCreateRequest.newBuilder().setKey(prefixBytes).setRangeEnd(rangeEnd))
                    .build());
        }

        @Override
        public synchronized void onNext(WatchResponse response) {
            long now = System.nanoTime();
            if (response.getCreated() && confirmed < watchers.length) {
                Watcher watcher = watchers[confirmed++];
                watcher.id = response.getWatchId();
                byId.put(watcher.id, watcher);
                if (confirmed < watchers.length) {
                    requestWatcher();
                } else {
                    created.complete(null);
                }
            }
            if (response.getCanceled()) {
                canceled++;
                cancelReason = "watch id " + response.getWatchId() + ": " + response.getCancelReason();
                if (!created.isDone()) {
                    created.completeExceptionally(Status.CANCELLED.withDescription(cancelReason).asRuntimeException());
                }
            }
            if (response.getEventsCount() == 0) {
                return;
            }
            eventResponses++;
            Watcher watcher = byId.get(response.getWatchId());
            if (watcher == null) {
                unknownWatchEvents += response.getEventsCount();
                return;
            }
            for (Event event : response.getEventsList()) {
                deliver(watcher, event, now);
            }
        }

        private void deliver(Watcher watcher, Event event, long now) {
            KeyValue kv = event.getKv();
            ByteString value = kv.getValue();
            if (event.getType() != Event.EventType.PUT || value.size() < HEADER_BYTES) {
                watcher.unexpected++;
                return;
            }
            long n = readLong(value, 0);
            long sentAt = readLong(value, Long.BYTES);
            if (n < 0 || n >= writer.sent) {
                watcher.unexpected++;
                return;
            }
            if (kv.getModRevision() < watcher.lastRevision) {
                watcher.outOfOrder++;
            }
            watcher.lastRevision = Math.max(watcher.lastRevision, kv.getModRevision());
            if (watcher.received.get((int) n)) {
                watcher.duplicates++;
                return;
            }
            watcher.received.set((int) n);
            delivered.increment();
            if (n >= measureFrom && n < measureTo) {
                delivery.success(now - sentAt);
                lastMeasuredArrival = Math.max(lastMeasuredArrival, now);
            }
        }

        @Override
        public synchronized void onError(Throwable error) {
            failure = error;
            created.completeExceptionally(error);
        }

        @Override
        public synchronized void onCompleted() {
            onError(Status.UNAVAILABLE.withDescription("the server ended the watch stream").asRuntimeException());
        }

        synchronized void close() {
            if (failure == null) {
                failure = Status.CANCELLED.withDescription("closed by the benchmark").asRuntimeException();
                requests.onCompleted();
            }
        }
    }
}
