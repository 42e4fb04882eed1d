package dev.gantry.kv.watch;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.mvcc.KeyRange;

/**
 * Events in revision order, prepared once for many watchers: which events fall in a key range (computed once
 * per distinct range: many watchers watch the same prefix), and each event without its previous version (for
 * watchers that did not ask for it), built on first use.
 */
final class EventBatch {
    private final List<Event> events;
    private final byte[][] keys;
    private final long[] revisions;
    private final Event[] withoutPrev;
    private final Map<KeyRange, BitSet> inRange = new HashMap<>();

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
        BitSet matching = inRange.computeIfAbsent(w.range, this::inRange);
        for (int i = matching.nextSetBit(0); i >= 0; i = matching.nextSetBit(i + 1)) {
            if (revisions[i] < from || revisions[i] > through || !w.wants(events.get(i))) {
                continue;
            }
            if (selected == null) {
                selected = new ArrayList<>();
            }
            selected.add(w.prevKv ? events.get(i) : withoutPrev(i));
        }
        return selected == null ? List.of() : selected;
    }

    private BitSet inRange(KeyRange range) {
        BitSet matching = new BitSet(keys.length);
        for (int i = 0; i < keys.length; i++) {
            if (range.contains(keys[i])) {
                matching.set(i);
            }
        }
        return matching;
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
