package dev.gantry.kv.mvcc;

import java.util.List;

import dev.gantry.kv.api.mvcc.KeyValue;

/** What a scan of a key range found: the first versions it was asked to keep, and how many keys there are in all. */
public record RangeResult(List<KeyValue> kvs, long count) {
}
