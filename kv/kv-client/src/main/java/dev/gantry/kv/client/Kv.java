package dev.gantry.kv.client;

import dev.gantry.kv.api.mvcc.KeyValue;

/** A key-value pair as read, with the revisions that optimistic concurrency compares. */
public record Kv(String key, String value, long createRevision, long modRevision, long version, long lease) {
    static Kv of(KeyValue kv) {
        return new Kv(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8(), kv.getCreateRevision(),
                kv.getModRevision(), kv.getVersion(), kv.getLease());
    }
}
