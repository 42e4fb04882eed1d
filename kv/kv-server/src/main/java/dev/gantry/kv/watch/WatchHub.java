package dev.gantry.kv.watch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.mvcc.ChangeBatch;
import dev.gantry.kv.mvcc.MvccStore;
import dev.gantry.kv.raft.DaemonThreads;

/**
 * Every watcher of this member, and the two ways events reach them, as etcd's watchable store:
 * <ul>
 * <li><b>synced</b> watchers are level with the store: the state machine {@link #publish publishes} each
 *     applied entry's events, and they are queued for them at once;</li>
 * <li><b>unsynced</b> watchers — started at a past revision, or whose client could not keep up — are fed
 *     from the change log in Xodus by one catch-up thread, a bounded batch at a time, in short read
 *     transactions, until they are level again.</li>
 * </ul>
 * A watcher whose stream has too much queued is moved to unsynced instead of being given more, so a slow
 * client costs neither memory nor other watchers' latency: its events stay in the store until it drains.
 * Each watcher's {@code nextRevision} makes every event delivered exactly once, in order, whichever path
 * delivers it. A watcher that needs a compacted revision is told {@code compact_revision} and cancelled.
 */
public final class WatchHub implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WatchHub.class);
    /** Per catch-up read: etcd's {@code watchBatchMaxRevs}, and a bound on events per read. */
    static final int CATCH_UP_REVISIONS = 1000;
    static final int CATCH_UP_EVENTS = 10_000;
    private static final long CATCH_UP_INTERVAL_MS = 100;

    private final MvccStore store;
    private final Set<Watcher> synced = new LinkedHashSet<>();
    private final Set<Watcher> unsynced = new LinkedHashSet<>();
    private final Set<WatchStream> progressRequested = new LinkedHashSet<>();
    private final ScheduledExecutorService catchUp;
    /** Fans events out off the Raft apply thread, in apply order. */
    private final ExecutorService publisher;
    /** The revision of the last published entry: synced watchers have been given everything up to it. */
    private long published;

    public WatchHub(MvccStore store, Duration progressInterval) {
        this.store = store;
        this.published = store.revision();
        this.catchUp = Executors.newSingleThreadScheduledExecutor(new DaemonThreads("kv-watch-sync"));
        this.publisher = Executors.newSingleThreadExecutor(new DaemonThreads("kv-watch-publish"));
        catchUp.scheduleWithFixedDelay(this::catchUpSafely, CATCH_UP_INTERVAL_MS, CATCH_UP_INTERVAL_MS, TimeUnit.MILLISECONDS);
        long progressMs = progressInterval.toMillis();
        catchUp.scheduleWithFixedDelay(this::notifyProgress, progressMs, progressMs, TimeUnit.MILLISECONDS);
    }

    /** The store's revision, as the headers of responses other than events and progress report it. */
    long revision() {
        return store.revision();
    }

    // ---- fed by the state machine, in apply order ----

    /**
     * An applied entry committed: its events (possibly none), and the store's revision after it. The fan-out
     * runs on the hub's publisher thread, so applying the next entry does not wait for it.
     */
    public void publish(List<Event> events, long revision) {
        publisher.execute(() -> fanOut(events, revision));
    }

    private void fanOut(List<Event> events, long revision) {
        EventBatch batch = new EventBatch(events);
        synchronized (this) {
            if (!batch.isEmpty()) {
                List<Watcher> fellBehind = new ArrayList<>();
                for (Watcher w : synced) {
                    List<Event> selected = batch.select(w, w.nextRevision, revision);
                    if (selected.isEmpty()) {
                        w.nextRevision = Math.max(w.nextRevision, revision + 1);
                    } else if (w.stream.hasRoom()) {
                        w.stream.sendEvents(w, selected, revision);
                        w.nextRevision = revision + 1;
                    } else {
                        fellBehind.add(w);
                    }
                }
                synced.removeAll(fellBehind);
                unsynced.addAll(fellBehind);
            }
            published = Math.max(published, revision);
        }
    }

    /** The store was replaced by a snapshot: every watcher catches up from the store (after earlier publishes). */
    public void reset() {
        publisher.execute(this::resetNow);
    }

    private synchronized void resetNow() {
        unsynced.addAll(synced);
        synced.clear();
        published = store.revision();
        catchUp.execute(this::catchUpSafely);
    }

    // ---- fed by the streams ----

    /** Registers a watcher starting at {@code startRevision} (0: from the next revision). */
    synchronized void add(Watcher w, long startRevision) {
        if (startRevision <= 0 || startRevision > published) {
            // "from now" is after the last applied change, even if its fan-out is still under way: a client
            // that wrote and then watches must not see its own earlier write
            w.nextRevision = startRevision <= 0 ? Math.max(published, store.revision()) + 1 : startRevision;
            synced.add(w);
        } else {
            w.nextRevision = startRevision;
            unsynced.add(w);
            catchUp.execute(this::catchUpSafely);
        }
    }

    synchronized void remove(Watcher w) {
        synced.remove(w);
        unsynced.remove(w);
    }

    /** A stream's progress request: answered once all its watchers are synced, so that its revision is a promise. */
    synchronized void requestProgress(WatchStream stream) {
        if (stream.allSynced()) {
            stream.sendProgress(-1, published);
        } else {
            progressRequested.add(stream);
        }
    }

    /** Whether a watcher is level with the store (called by its stream, under this hub's lock). */
    synchronized boolean isSynced(Watcher w) {
        return synced.contains(w);
    }

    synchronized void forget(WatchStream stream) {
        progressRequested.remove(stream);
    }

    /** The stream has room again: its unsynced watchers may go on catching up. */
    void wakeUp() {
        if (!catchUp.isShutdown()) {
            catchUp.execute(this::catchUpSafely);
        }
    }

    // ---- catch-up ----

    private void catchUpSafely() {
        try {
            while (catchUpOnce()) {
                // more to do at once: the watchers are behind by more than a batch
            }
        } catch (RuntimeException e) {
            LOG.error("watch catch-up failed; retrying", e);
        }
    }

    /** One batch read from the store for every unsynced watcher that has room; true if more is due at once. */
    private boolean catchUpOnce() {
        long from = Long.MAX_VALUE;
        synchronized (this) {
            for (Watcher w : unsynced) {
                if (w.stream.hasRoom()) {
                    from = Math.min(from, w.nextRevision);
                }
            }
        }
        if (from == Long.MAX_VALUE) {
            return false;
        }
        long start = from;
        ChangeBatch read = store.read(view -> view.changesSince(start, CATCH_UP_REVISIONS, CATCH_UP_EVENTS));
        EventBatch batch = new EventBatch(read.events());
        boolean more = false;
        synchronized (this) {
            for (Watcher w : new ArrayList<>(unsynced)) {
                if (w.nextRevision < read.compactRevision()) {
                    unsynced.remove(w);
                    w.stream.sendCompacted(w, read.compactRevision(), published);
                    continue;
                }
                // a watcher below `start` had no room when the batch was chosen: it must not skip to `through`
                if (w.nextRevision >= start && w.nextRevision <= read.through() && w.stream.hasRoom()) {
                    List<Event> selected = batch.select(w, w.nextRevision, read.through());
                    if (!selected.isEmpty()) {
                        w.stream.sendEvents(w, selected, read.through());
                    }
                    w.nextRevision = read.through() + 1;
                }
                if (w.nextRevision > published) {
                    unsynced.remove(w);
                    synced.add(w);
                } else if (w.stream.hasRoom()) {
                    more = true;
                }
            }
            answerProgressRequests();
        }
        return more;
    }

    private void answerProgressRequests() {
        progressRequested.removeIf(stream -> {
            if (stream.allSynced()) {
                stream.sendProgress(-1, published);
                return true;
            }
            return false;
        });
    }

    /** etcd's progress notifications: an empty response to each idle synced watcher that asked for them. */
    private synchronized void notifyProgress() {
        for (Watcher w : synced) {
            if (w.progressNotify && !w.sentSinceTick) {
                w.stream.sendProgress(w.id, published);
            }
            w.sentSinceTick = false;
        }
    }

    @Override
    public void close() {
        publisher.shutdownNow();
        catchUp.shutdownNow();
    }
}
