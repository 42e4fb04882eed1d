package dev.gantry.kv.watch;

import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.mvcc.KeyRange;

/**
 * One watch of a {@link WatchStream}: what it watches and, guarded by the {@link WatchHub}'s lock, how far it
 * got. {@code nextRevision} is the first revision whose events it has not been given: every event below it
 * was queued for the client exactly once, none at or above it was.
 */
final class Watcher {
    final WatchStream stream;
    final long id;
    final KeyRange range;
    final boolean prevKv;
    final boolean fragment;
    final boolean progressNotify;
    private final boolean noPut;
    private final boolean noDelete;

    long nextRevision;
    /** Whether anything was sent since the last progress tick (then no progress notification is due). */
    boolean sentSinceTick;

    Watcher(WatchStream stream, long id, KeyRange range, WatchCreateRequest r) {
        this.stream = stream;
        this.id = id;
        this.range = range;
        this.prevKv = r.getPrevKv();
        this.fragment = r.getFragment();
        this.progressNotify = r.getProgressNotify();
        this.noPut = r.getFiltersList().contains(WatchCreateRequest.FilterType.NOPUT);
        this.noDelete = r.getFiltersList().contains(WatchCreateRequest.FilterType.NODELETE);
    }

    /** Whether the filters let an event (of this watcher's range) through. */
    boolean wants(Event event) {
        return event.getType() == Event.EventType.PUT ? !noPut : !noDelete;
    }

    @Override
    public String toString() {
        return "watcher " + id + " " + range + " at " + nextRevision;
    }
}
