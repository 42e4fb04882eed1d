package dev.gantry.scheduler;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.gantry.job.Task;
import dev.gantry.kv.client.Informer;

/**
 * Tasks this scheduler wrote that its informer has not delivered yet (Kubernetes' "assume" cache): the next
 * pass sees its own claims at once instead of waiting for the watch, so it neither places a task twice nor
 * counts freed-but-claimed GPUs as free. An entry is dropped once the informer is at its revision
 * ({@link #forgetUpTo}, at the start of every pass).
 */
final class OwnWrites {
    private final Map<String, Informer.Entry<Task>> writes = new ConcurrentHashMap<>();

    void wrote(String key, Task task, long revision) {
        writes.merge(key, new Informer.Entry<>(key, task, revision), (a, b) -> a.modRevision() >= b.modRevision() ? a : b);
    }

    /** The updates one committed txn wrote, at its revision. */
    void wrote(List<TaskUpdate> updates, long revision) {
        updates.forEach(u -> wrote(u.key(), u.next(), revision));
    }

    /** The newer of the informer's entry and our own write of its key. */
    Informer.Entry<Task> newest(Informer.Entry<Task> seen) {
        Informer.Entry<Task> own = writes.get(seen.key());
        return own != null && own.modRevision() > seen.modRevision() ? own : seen;
    }

    /** Drops the writes the informer has caught up with (including those of keys deleted since). */
    void forgetUpTo(long informerRevision) {
        writes.values().removeIf(e -> e.modRevision() <= informerRevision);
    }
}
