package dev.gantry.reliability.jobs.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.gantry.it.cluster.Await;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Watch;
import dev.gantry.kv.client.WatchEvent;
import dev.gantry.kv.client.WatchListener;

/**
 * Every version of every key under {@code prefix} from revision 1: one watch, which resumes on another member from
 * the revision after the last one it delivered when its stream breaks, so the log has each revision once and in
 * order. The store is never compacted during a run (Gantry compacts only when told to), so nothing is missed.
 */
public final class KvLog implements AutoCloseable {
    private final List<KeyVersion> versions = new ArrayList<>();
    private final Watch watch;
    private volatile long lastRevision;
    private volatile String compacted;

    public KvLog(KvClient client, String prefix) {
        this.watch = client.watch(prefix, 1, new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                long now = System.nanoTime();
                synchronized (KvLog.this) {
                    for (WatchEvent event : events) {
                        boolean deleted = event.type() == WatchEvent.Type.DELETE;
                        versions.add(new KeyVersion(event.key(), event.revision(), deleted,
                                deleted ? null : event.kv().value(), event.kv().lease(), now));
                    }
                }
                lastRevision = events.getLast().revision();
            }

            @Override
            public void onCompacted(long compactRevision) {
                compacted = "the history was compacted at " + compactRevision + " during the run";
            }
        });
    }

    /** Waits until the log holds every revision up to {@code revision}. */
    public void awaitRevision(long revision, Duration within) {
        Await.until("the key history at revision " + revision, within, () -> {
            if (compacted != null) {
                throw new Await.Abort(compacted);
            }
            return lastRevision >= revision ? Optional.of(true) : Optional.empty();
        }, () -> "the log is at revision " + lastRevision);
    }

    /** Everything recorded so far, in revision order. */
    public synchronized List<KeyVersion> versions() {
        return List.copyOf(versions);
    }

    @Override
    public void close() {
        watch.close();
    }
}
