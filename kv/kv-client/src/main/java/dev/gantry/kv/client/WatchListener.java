package dev.gantry.kv.client;

import java.util.List;

/** Receives a watch's changes, one call per revision's worth of events, in revision order. */
public interface WatchListener {
    void onEvents(List<WatchEvent> events);

    /**
     * The history the watch needed was compacted away at {@code compactRevision}: the watch has ended, and the
     * listener must read the current state again (and may watch from that read's revision).
     */
    void onCompacted(long compactRevision);
}
