package dev.gantry.kv.watch;

import java.util.ArrayList;
import java.util.List;

import dev.gantry.kv.api.mvcc.Event;

/**
 * Events in revision order, prepared once for many watchers: each event's key as bytes, and each event
 * without its previous version (for watchers that did not ask for it), built on first use.
 */
final class EventBatch {
    private final List<Event> events;
    private final byte[][] keys;
    private final long[] revisions;
    private final Event[] withoutPrev;

    EventBatch(List<Event> events) {
        this.events = events;
        this.keys = new byte[events.size()][];
        this.revisions = new long[events.size()];
        this.withoutPrev = new Event[events.size()];
        for (int i = 0; i < events.size(); i++) {
            keys[i] = events.get(i).getKv().getKey().toByteArray();
            revisions[i] = events.get(i).getKv().getModRevision();
        }
    }

    boolean isEmpty() {
        return events.isEmpty();
    }

    /** The events for {@code w} of revisions {@code from} to {@code through}. */
    List<Event> select(Watcher w, long from, long through) {
        List<Event> selected = null;
        for (int i = 0; i < keys.length; i++) {
            if (revisions[i] < from || revisions[i] > through || !w.wants(events.get(i), keys[i])) {
                continue;
            }
            if (selected == null) {
                selected = new ArrayList<>();
            }
            selected.add(w.prevKv ? events.get(i) : withoutPrev(i));
        }
        return selected == null ? List.of() : selected;
    }

    private Event withoutPrev(int i) {
        Event e = withoutPrev[i];
        if (e == null) {
            e = events.get(i).hasPrevKv() ? events.get(i).toBuilder().clearPrevKv().build() : events.get(i);
            withoutPrev[i] = e;
        }
        return e;
    }
}
