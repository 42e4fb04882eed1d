package dev.gantry.kv.watch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.LongFunction;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.mvcc.KeyRange;

/**
 * One client's Watch stream: many watchers multiplexed over it, as etcd's {@code serverWatchStream}.
 * Requests are handled in arrival order, so creates are acknowledged in order, each before any of its events.
 * Responses wait in one queue, sent as fast as the transport takes them; the queue's size is what
 * {@link WatchHub} checks before giving a watcher more (beyond it, the watcher catches up from the store).
 * While a watcher's events response waits unsent, its later events join it (up to the response size
 * limit): a stream that falls behind sends fewer, larger responses, as etcd batches revisions.
 */
public final class WatchStream {
    /** What the transport offers: whether it can take a message now, and sending one (never concurrently). */
    public interface Outbound {
        boolean isReady();

        void send(WatchResponse response);
    }

    static final String COMPACTED_REASON = "mvcc: required revision has been compacted";
    static final String DUPLICATE_ID_REASON = "mvcc: duplicate watch ID provided on the WatchStream";
    /** A stream's queue limit: some seconds of events for its watchers; beyond it they catch up from the store. */
    static final int MAX_QUEUED_RESPONSES = 16_384;
    private static final long MAX_QUEUED_BYTES = 8L << 20;

    private final WatchHub hub;
    private final Outbound out;
    private final LongFunction<ResponseHeader> header;
    private final Executor sender;
    private final int maxResponseBytes;
    private final int maxQueuedResponses;
    private final Map<Long, Watcher> watchers = new ConcurrentHashMap<>();
    private long nextId;

    // guarded by `this`
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    /** Each watcher's events response still in the queue, which its next events may join. */
    private final Map<Watcher, Queued> open = new HashMap<>();
    private long queuedBytes;
    private boolean draining;
    private boolean closed;

    /** A queued response: built, or (events of one watcher) still open to more events. */
    private static final class Queued {
        final Watcher watcher;
        final WatchResponse.Builder events;
        final WatchResponse built;
        long bytes;

        Queued(WatchResponse built) {
            this.watcher = null;
            this.events = null;
            this.built = built;
            this.bytes = built.getSerializedSize();
        }

        Queued(Watcher watcher, WatchResponse.Builder events, long bytes) {
            this.watcher = watcher;
            this.events = events;
            this.built = null;
            this.bytes = bytes;
        }

        WatchResponse response() {
            return built != null ? built : events.build();
        }
    }

    /**
     * @param header           the response header for a store revision
     * @param sender           runs the sending, off the threads that queue responses (the apply thread among them)
     * @param maxResponseBytes above this, responses of watchers that asked for fragments are split
     */
    public WatchStream(WatchHub hub, Outbound out, LongFunction<ResponseHeader> header, Executor sender, int maxResponseBytes) {
        this(hub, out, header, sender, maxResponseBytes, MAX_QUEUED_RESPONSES);
    }

    WatchStream(WatchHub hub, Outbound out, LongFunction<ResponseHeader> header, Executor sender, int maxResponseBytes,
                int maxQueuedResponses) {
        this.maxQueuedResponses = maxQueuedResponses;
        this.hub = hub;
        this.out = out;
        this.header = header;
        this.sender = sender;
        this.maxResponseBytes = maxResponseBytes;
    }

    public void onRequest(WatchRequest r) {
        switch (r.getRequestUnionCase()) {
            case CREATE_REQUEST -> create(r.getCreateRequest());
            case CANCEL_REQUEST -> cancel(r.getCancelRequest().getWatchId());
            case PROGRESS_REQUEST -> hub.requestProgress(this);
            default -> {
                // etcd ignores an empty request
            }
        }
    }

    private void create(WatchCreateRequest r) {
        ByteString key = r.getKey().isEmpty() ? ByteString.copyFrom(new byte[]{0}) : r.getKey();
        if (r.getStartRevision() < 0) {
            enqueue(createdAndCanceled(-1, COMPACTED_REASON));
            return;
        }
        long id = r.getWatchId();
        if (id != 0 && watchers.containsKey(id)) {
            enqueue(createdAndCanceled(id, DUPLICATE_ID_REASON));
            return;
        }
        if (id == 0) {
            while (watchers.containsKey(nextId)) {
                nextId++;
            }
            id = nextId++;
        }
        Watcher w = new Watcher(this, id, KeyRange.of(key, r.getRangeEnd()), r);
        watchers.put(id, w);
        enqueue(WatchResponse.newBuilder().setHeader(header.apply(hub.revision())).setWatchId(id).setCreated(true).build());
        hub.add(w, r.getStartRevision());
    }

    /**
     * Answers a create request that may not be served (the requester lacks permission, its token is invalid): as
     * etcd, created and canceled at once with watch ID -1 and the reason; in order with the stream's other answers.
     */
    public void refuse(String reason) {
        enqueue(createdAndCanceled(-1, reason));
    }

    private WatchResponse createdAndCanceled(long id, String reason) {
        return WatchResponse.newBuilder().setHeader(header.apply(hub.revision()))
                .setWatchId(id).setCreated(true).setCanceled(true).setCancelReason(reason).build();
    }

    private void cancel(long id) {
        Watcher w = watchers.remove(id);
        if (w != null) { // etcd answers nothing for an unknown ID
            hub.remove(w);
            closeOpen(id);
            enqueue(WatchResponse.newBuilder().setHeader(header.apply(hub.revision())).setWatchId(id).setCanceled(true).build());
        }
    }

    /** The client went away: drop its watchers and whatever was queued for it. */
    public void close() {
        watchers.values().forEach(hub::remove);
        watchers.clear();
        hub.forget(this);
        synchronized (this) {
            closed = true;
            queue.clear();
            open.clear();
            queuedBytes = 0;
        }
    }

    /** The transport can take more: resume sending. */
    public void onReady() {
        scheduleDrain();
    }

    // ---- called by the hub, under its lock ----

    boolean allSynced() {
        return watchers.values().stream().allMatch(hub::isSynced);
    }

    synchronized boolean hasRoom() {
        return queue.size() < maxQueuedResponses && queuedBytes < MAX_QUEUED_BYTES;
    }

    void sendEvents(Watcher w, List<Event> events, long revision) {
        w.sentSinceTick = true;
        if (!w.fragment) {
            queueEvents(w, events, revision);
            return;
        }
        WatchResponse whole = WatchResponse.newBuilder().setHeader(header.apply(revision)).setWatchId(w.id)
                .addAllEvents(events).build();
        if (whole.getSerializedSize() <= maxResponseBytes || events.size() == 1) {
            enqueue(whole);
            return;
        }
        // etcd's fragments: every part but the last says fragment=true; the client joins them
        List<Event> part = new ArrayList<>();
        long partBytes = 0;
        for (Event e : events) {
            int size = e.getSerializedSize() + 8;
            if (!part.isEmpty() && partBytes + size > maxResponseBytes) {
                enqueue(whole.toBuilder().clearEvents().addAllEvents(part).setFragment(true).build());
                part = new ArrayList<>();
                partBytes = 0;
            }
            part.add(e);
            partBytes += size;
        }
        enqueue(whole.toBuilder().clearEvents().addAllEvents(part).build());
    }

    /** Events for a watcher: joined to its response still waiting in the queue if there is one and it has room. */
    private void queueEvents(Watcher w, List<Event> events, long revision) {
        long bytes = 0;
        for (Event e : events) {
            bytes += e.getSerializedSize() + 4;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            Queued waiting = open.get(w);
            if (waiting != null && waiting.bytes + bytes <= maxResponseBytes) {
                waiting.events.addAllEvents(events).setHeader(header.apply(revision));
                waiting.bytes += bytes;
                queuedBytes += bytes;
                return; // it is queued, so a drain is already due
            }
            Queued q = new Queued(w, WatchResponse.newBuilder().setHeader(header.apply(revision)).setWatchId(w.id)
                    .addAllEvents(events), bytes + 32);
            open.put(w, q);
            queue.add(q);
            queuedBytes += q.bytes;
        }
        scheduleDrain();
    }

    void sendCompacted(Watcher w, long compactRevision, long revision) {
        watchers.remove(w.id);
        closeOpen(w.id);
        enqueue(WatchResponse.newBuilder().setHeader(header.apply(revision)).setWatchId(w.id)
                .setCompactRevision(compactRevision).setCanceled(true).build());
    }

    void sendProgress(long watchId, long revision) {
        closeOpen(watchId);
        enqueue(WatchResponse.newBuilder().setHeader(header.apply(revision)).setWatchId(watchId).build());
    }

    // ---- the queue ----

    /** Later events of this watcher (-1: of every watcher) go after what is queued now, not into it. */
    private synchronized void closeOpen(long watchId) {
        if (watchId == -1) {
            open.clear();
        } else {
            open.keySet().removeIf(w -> w.id == watchId);
        }
    }

    private void enqueue(WatchResponse response) {
        synchronized (this) {
            if (closed) {
                return;
            }
            Queued q = new Queued(response);
            queue.add(q);
            queuedBytes += q.bytes;
        }
        scheduleDrain();
    }

    private void scheduleDrain() {
        synchronized (this) {
            if (draining || queue.isEmpty() || closed) {
                return;
            }
            draining = true;
        }
        sender.execute(this::drain);
    }

    private void drain() {
        boolean hadNoRoom = !hasRoom();
        while (true) {
            WatchResponse next;
            synchronized (this) {
                if (closed || queue.isEmpty() || !out.isReady()) {
                    draining = false; // the transport's onReady (or the next enqueue) resumes
                    break;
                }
                Queued q = queue.poll();
                if (q.watcher != null && open.get(q.watcher) == q) {
                    open.remove(q.watcher);
                }
                queuedBytes -= q.bytes;
                next = q.response();
            }
            try {
                out.send(next);
            } catch (RuntimeException e) {
                close(); // the call is gone
                return;
            }
        }
        if (hadNoRoom && hasRoom()) {
            hub.wakeUp();
        }
    }
}
