package dev.gantry.kv.client;

import dev.gantry.kv.api.mvcc.Event;

/** A change to one key: a put (with the new value) or a delete (the key and the revision it was deleted at). */
public record WatchEvent(Type type, Kv kv) {
    public enum Type {
        PUT, DELETE
    }

    static WatchEvent of(Event event) {
        return new WatchEvent(event.getType() == Event.EventType.DELETE ? Type.DELETE : Type.PUT, Kv.of(event.getKv()));
    }

    public String key() {
        return kv.key();
    }

    public long revision() {
        return kv.modRevision();
    }
}
