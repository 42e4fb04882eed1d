package dev.gantry.kv.client;

import java.util.List;

/** Keys read at one revision; {@code more} when a paged read stopped at its limit. */
public record Listing(long revision, List<Kv> kvs, boolean more) {
    /** The key after which the next page starts. */
    public String lastKey() {
        return kvs.isEmpty() ? null : kvs.getLast().key();
    }
}
