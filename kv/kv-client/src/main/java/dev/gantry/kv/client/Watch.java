package dev.gantry.kv.client;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.api.mvcc.Event;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;

/**
 * A watch on a prefix that survives member failures: when its stream breaks it opens a new one on the next
 * member, from the revision after the last event it delivered, so nothing is missed or delivered twice.
 */
public final class Watch implements AutoCloseable {
    private final KvClient client;
    private final String prefix;
    private final WatchListener listener;
    /** The revision the next stream starts from. */
    private long nextRevision;
    private int failures;
    private volatile boolean closed;
    private ClientCallStreamObserver<WatchRequest> stream;

    Watch(KvClient client, String prefix, long fromRevision, WatchListener listener) {
        this.client = client;
        this.prefix = prefix;
        this.listener = listener;
        this.nextRevision = fromRevision;
    }

    synchronized void start() {
        if (closed) {
            return;
        }
        ManagedChannel channel = client.channel();
        WatchCreateRequest.Builder create = WatchCreateRequest.newBuilder()
                .setKey(Prefixes.key(prefix)).setRangeEnd(Prefixes.rangeEnd(prefix)).setStartRevision(nextRevision);
        WatchGrpc.newStub(channel).watch(new ClientResponseObserver<WatchRequest, WatchResponse>() {
            private final List<WatchEvent> fragments = new ArrayList<>();

            @Override
            public void beforeStart(ClientCallStreamObserver<WatchRequest> requests) {
                synchronized (Watch.this) {
                    stream = requests;
                }
            }

            @Override
            public void onNext(WatchResponse response) {
                if (response.getCreated()) {
                    created(response.getHeader().getRevision());
                }
                if (response.getCompactRevision() > 0 && response.getCanceled()) {
                    compacted(response.getCompactRevision());
                } else if (response.getCanceled()) {
                    client.watchCanceled(response.getCancelReason());
                    failed(channel);
                } else if (!response.getEventsList().isEmpty()) {
                    response.getEventsList().stream().map(WatchEvent::of).forEach(fragments::add);
                    if (!response.getFragment()) {
                        deliver(List.copyOf(fragments));
                        fragments.clear();
                    }
                }
            }

            @Override
            public void onError(Throwable error) {
                failed(channel);
            }

            @Override
            public void onCompleted() {
                failed(channel);
            }
        }).onNext(WatchRequest.newBuilder().setCreateRequest(create).build());
    }

    /** A watch "from now" resumes from the revision after the one it was created at. */
    private synchronized void created(long revision) {
        if (nextRevision == 0) {
            nextRevision = revision + 1;
        }
    }

    /** Delivers a response's events revision by revision, skipping any a resumed stream sent again. */
    private void deliver(List<WatchEvent> events) {
        List<WatchEvent> batch = new ArrayList<>();
        long revision = 0;
        for (WatchEvent event : events) {
            if (closed || (nextRevision > 0 && event.revision() < nextRevision)) {
                continue;
            }
            if (event.revision() != revision && !batch.isEmpty()) {
                handOver(batch, revision);
                batch = new ArrayList<>();
            }
            revision = event.revision();
            batch.add(event);
        }
        if (!batch.isEmpty()) {
            handOver(batch, revision);
        }
    }

    private void handOver(List<WatchEvent> batch, long revision) {
        synchronized (this) {
            nextRevision = revision + 1;
            failures = 0;
        }
        listener.onEvents(List.copyOf(batch));
    }

    private void compacted(long compactRevision) {
        synchronized (this) {
            if (closed) {
                return;
            }
            close();
        }
        listener.onCompacted(compactRevision);
    }

    private synchronized void failed(ManagedChannel channel) {
        if (closed) {
            return;
        }
        client.failed(channel);
        stream = null;
        client.timers().schedule(this::start, KvClient.backoffMillis(++failures), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void close() {
        closed = true;
        StreamObserver<WatchRequest> open = stream;
        stream = null;
        if (open instanceof ClientCallStreamObserver<WatchRequest> call) {
            call.cancel("watch closed", null);
        }
    }
}
