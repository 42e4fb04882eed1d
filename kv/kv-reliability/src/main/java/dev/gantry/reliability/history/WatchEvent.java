package dev.gantry.reliability.history;

/** One event as a watcher received it (or as the reference history holds it). Value null for a delete. */
public record WatchEvent(long revision, String key, boolean delete, String value) {
    @Override
    public String toString() {
        return "rev " + revision + " " + (delete ? "DELETE " + key : "PUT " + key + "=\"" + value + "\"");
    }
}
