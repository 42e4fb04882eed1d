package dev.gantry.reliability.workload;

import com.google.protobuf.ByteString;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.reliability.history.WatchEvent;
import dev.gantry.reliability.history.WatchLog;
import io.grpc.stub.StreamObserver;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A watcher of a key prefix that lives through faults as etcd's clients do: when its stream breaks (member killed,
 * removed) or is cancelled, it opens a new one on a running member from the revision after the last event it saw.
 * Everything it receives goes to its {@link WatchLog}.
 */
public final class ResumingWatcher implements Runnable {

    private final Cluster cluster;
    private final String prefix;
    private final WatchLog log;
    private final BooleanSupplier stopped;

    public ResumingWatcher(Cluster cluster, String prefix, WatchLog log, BooleanSupplier stopped) {
        this.cluster = cluster;
        this.prefix = prefix;
        this.log = log;
        this.stopped = stopped;
    }

    public WatchLog log() {
        return log;
    }

    @Override
    public void run() {
        boolean first = true;
        while (!stopped.getAsBoolean()) {
            Optional<Member> member = Members.anyRunning(cluster);
            if (member.isEmpty()) {
                LockSupport.parkNanos(50_000_000); // back-off: no member is up
                continue;
            }
            if (!first) {
                log.resumed();
            }
            first = false;
            CompletableFuture<Void> ended = new CompletableFuture<>();
            StreamObserver<WatchRequest> requests = WatchGrpc.newStub(member.get().channel())
                    .watch(Streams.until(ended, "watch", response -> {
                        if (response.getCanceled()) {
                            ended.complete(null);
                        } else if (response.getEventsCount() > 0) {
                            log.response(response.getEventsList().stream().map(ResumingWatcher::event).toList());
                        }
                    }));
            requests.onNext(watchPrefix(prefix, log.lastRevision() + 1));
            while (!ended.isDone() && !stopped.getAsBoolean()) {
                try {
                    ended.get(200, TimeUnit.MILLISECONDS);
                } catch (TimeoutException stillWatching) {
                    // the stream is alive; look at the stop flag again
                } catch (Exception e) {
                    break;
                }
            }
            try {
                requests.onError(new IllegalStateException("watcher closed"));
            } catch (RuntimeException alreadyClosed) {
                // the stream ended first
            }
        }
    }

    static WatchEvent event(Event e) {
        boolean delete = e.getType() == Event.EventType.DELETE;
        return new WatchEvent(e.getKv().getModRevision(), RegisterClient.string(e.getKv().getKey()), delete,
                delete ? null : RegisterClient.string(e.getKv().getValue()));
    }

    /** etcd's range end for a prefix: the prefix with its last byte incremented. */
    public static ByteString prefixEnd(String prefix) {
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        end[end.length - 1]++;
        return ByteString.copyFrom(end);
    }

    /** A watch of every key under {@code prefix} from {@code startRevision}. */
    static WatchRequest watchPrefix(String prefix, long startRevision) {
        return WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
                .setKey(RegisterClient.bytes(prefix)).setRangeEnd(prefixEnd(prefix))
                .setStartRevision(startRevision)).build();
    }

    /** Reads every event of the prefix from {@code fromRevision} on one member until an event of {@code untilRevision}. */
    public static WatchLog readAll(Member member, String prefix, long fromRevision, long untilRevision,
            long timeoutMillis) {
        WatchLog log = new WatchLog("reference", fromRevision);
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<WatchRequest> requests = WatchGrpc.newStub(member.channel())
                .watch(Streams.until(done, "reference watch", response -> {
                    if (response.getCanceled()) {
                        done.completeExceptionally(new IllegalStateException("reference watch cancelled: " + response));
                    }
                    if (response.getEventsCount() > 0) {
                        log.response(response.getEventsList().stream().map(ResumingWatcher::event).toList());
                        if (log.lastRevision() >= untilRevision) {
                            done.complete(null);
                        }
                    }
                }));
        requests.onNext(watchPrefix(prefix, fromRevision));
        try {
            done.get(timeoutMillis, TimeUnit.MILLISECONDS);
            return log;
        } catch (Exception e) {
            throw new IllegalStateException("could not read the history of " + prefix + " up to rev " + untilRevision
                    + " from " + member + " (got up to " + log.lastRevision() + ")", e);
        } finally {
            requests.onError(new IllegalStateException("done"));
        }
    }
}
