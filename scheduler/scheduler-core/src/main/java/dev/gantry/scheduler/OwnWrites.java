package dev.gantry.scheduler;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.gantry.job.Task;
import dev.gantry.kv.client.Informer;

/**
 * Tasks this scheduler wrote that its informer has not delivered yet (Kubernetes' "assume" cache): the next
 * pass sees its own claims at once instead of waiting for the watch, so it neither places a task twice nor
 * counts freed-but-claimed GPUs as free. An entry is dropped as soon as the informer is at its revision.
 */
final class OwnWrites {
    private final Map<String, Informer.Entry<Task>> writes = new ConcurrentHashMap<>();

    void wrote(String key, Task task, long revision) {
        writes.merge(key, new Informer.Entry<>(key, task, revision), (a, b) -> a.modRevision() >= b.modRevision() ? a : b);
    }

    /** The newer of the informer's entry and our own write of its key; forgets a write the informer has caught up with. */
    Informer.Entry<Task> newest(Informer.Entry<Task> seen) {
        Informer.Entry<Task> own = writes.get(seen.key());
        if (own == null) {
            return seen;
        }
        if (own.modRevision() > seen.modRevision()) {
            return own;
        }
        writes.remove(seen.key(), own);
        return seen;
    }

    /** Drops writes the informer has passed (e.g. of keys deleted since). */
    void forgetUpTo(long informerRevision) {
        writes.values().removeIf(e -> e.modRevision() <= informerRevision);
    }
}
