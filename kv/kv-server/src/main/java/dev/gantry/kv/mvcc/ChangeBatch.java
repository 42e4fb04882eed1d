package dev.gantry.kv.mvcc;

import java.util.List;

import dev.gantry.kv.api.mvcc.Event;

/**
 * Events read from the change log: every event of the revisions up to {@code through} (later ones were not
 * read), and the store's compact revision — a read that started below it found nothing.
 */
public record ChangeBatch(List<Event> events, long through, long compactRevision) {
}
