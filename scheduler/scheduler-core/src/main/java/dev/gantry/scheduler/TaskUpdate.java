package dev.gantry.scheduler;

import dev.gantry.job.Task;
import dev.gantry.kv.client.Informer;
import dev.gantry.kv.client.Txn;

/**
 * One task write of a pass: the entry it was decided from and the task to write in its place. Written only if the
 * task is unchanged since ({@link #compare}: its mod_revision), so a decision from stale state writes nothing.
 */
record TaskUpdate(Informer.Entry<Task> read, Task next) {

    String key() {
        return read.key();
    }

    Txn compare(Txn txn) {
        return txn.ifModRevision(read.key(), read.modRevision());
    }
}
