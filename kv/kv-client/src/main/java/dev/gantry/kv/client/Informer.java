package dev.gantry.kv.client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import org.jboss.logging.Logger;

/**
 * A live, decoded copy of every key under a prefix: listed once, then kept current by a watch from the
 * listing's revision; listed again when the watch's history is compacted away (Kubernetes' informers).
 * Listeners hear each change after the copy has it.
 *
 * @param <T> what a value decodes to; a value that does not decode is logged and left out
 */
public final class Informer<T> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Informer.class);

    /** A key's decoded value, the revision it was written at, and the lease it is attached to (0: none). */
    public record Entry<T>(String key, T value, long modRevision, long lease) {
        public Entry(String key, T value, long modRevision) {
            this(key, value, modRevision, 0);
        }
    }

    /** Every entry as of one revision: the copy is current to {@code revision} and holds nothing older. */
    public record Snapshot<T>(long revision, List<Entry<T>> entries) {
    }

    /** A change to the copy: {@code before} or {@code after} is null for a created or deleted key. */
    public interface Listener<T> {
        void changed(String key, Entry<T> before, Entry<T> after);
    }

    private final KvClient client;
    private final String prefix;
    private final Function<String, T> decoder;
    private final List<Listener<T>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Entry<T>> entries = new HashMap<>();
    private long revision;
    private Watch watch;
    private boolean closed;

    public Informer(KvClient client, String prefix, Function<String, T> decoder) {
        this.client = client;
        this.prefix = prefix;
        this.decoder = decoder;
    }

    public Informer<T> addListener(Listener<T> listener) {
        listeners.add(listener);
        return this;
    }

    /** Lists the prefix and starts watching; returns once the copy holds the listing. */
    public Informer<T> start() {
        relist();
        return this;
    }

    public synchronized Optional<Entry<T>> get(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    /** A copy of every entry. */
    public synchronized List<Entry<T>> entries() {
        return List.copyOf(entries.values());
    }

    /** Every entry and the revision they are current to, read together (a decision's basis for a revision compare). */
    public synchronized Snapshot<T> snapshot() {
        return new Snapshot<>(revision, List.copyOf(entries.values()));
    }

    /** The revision the copy is current to. */
    public synchronized long revision() {
        return revision;
    }

    private void relist() {
        Listing listing = client.list(prefix);
        List<Runnable> notices = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            Map<String, Entry<T>> fresh = new HashMap<>();
            for (Kv kv : listing.kvs()) {
                decode(kv).ifPresent(entry -> fresh.put(kv.key(), entry));
            }
            for (Entry<T> before : entries.values()) {
                if (!fresh.containsKey(before.key())) {
                    notices.add(() -> notify(before.key(), before, null));
                }
            }
            for (Entry<T> after : fresh.values()) {
                Entry<T> before = entries.get(after.key());
                if (before == null || before.modRevision() != after.modRevision()) {
                    notices.add(() -> notify(after.key(), before, after));
                }
            }
            entries.clear();
            entries.putAll(fresh);
            revision = listing.revision();
            watch = client.watch(prefix, listing.revision() + 1, new WatchListener() {
                @Override
                public void onEvents(List<WatchEvent> events) {
                    apply(events);
                }

                @Override
                public void onCompacted(long compactRevision) {
                    LOG.infof("watch on %s compacted at %d: listing again", prefix, compactRevision);
                    relist();
                }
            });
        }
        notices.forEach(Runnable::run);
    }

    private void apply(List<WatchEvent> events) {
        List<Runnable> notices = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            for (WatchEvent event : events) {
                String key = event.key();
                Entry<T> before = entries.get(key);
                Entry<T> after = event.type() == WatchEvent.Type.PUT ? decode(event.kv()).orElse(null) : null;
                if (after == null) {
                    entries.remove(key);
                } else {
                    entries.put(key, after);
                }
                revision = event.revision();
                if (before != null || after != null) {
                    notices.add(() -> notify(key, before, after));
                }
            }
        }
        notices.forEach(Runnable::run);
    }

    private void notify(String key, Entry<T> before, Entry<T> after) {
        for (Listener<T> listener : listeners) {
            try {
                listener.changed(key, before, after);
            } catch (RuntimeException e) {
                LOG.errorf(e, "listener of %s failed on %s", prefix, key);
            }
        }
    }

    private Optional<Entry<T>> decode(Kv kv) {
        try {
            return Optional.of(new Entry<>(kv.key(), decoder.apply(kv.value()), kv.modRevision(), kv.lease()));
        } catch (RuntimeException e) {
            LOG.warnf("%s: value does not decode, left out: %s", kv.key(), e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (watch != null) {
            watch.close();
        }
    }
}
