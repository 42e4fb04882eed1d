package dev.gantry.reliability.history;

import java.util.ArrayList;
import java.util.List;

/**
 * What one logical watcher received over its life: it asks from {@code startRevision}, and when its stream breaks
 * (member killed, paused, removed) it resumes on another member from the revision after the last event it saw, as
 * etcd's clients do. Responses are kept as they came, so that the checker can see a revision split over two.
 */
public final class WatchLog {
    private final String name;
    private final long startRevision;
    private final List<List<WatchEvent>> responses = new ArrayList<>();
    private int resumptions;

    public WatchLog(String name, long startRevision) {
        this.name = name;
        this.startRevision = startRevision;
    }

    public synchronized void response(List<WatchEvent> events) {
        if (!events.isEmpty()) {
            responses.add(List.copyOf(events));
        }
    }

    public synchronized void resumed() {
        resumptions++;
    }

    public synchronized long lastRevision() {
        return responses.isEmpty() ? startRevision - 1 : responses.getLast().getLast().revision();
    }

    public synchronized List<List<WatchEvent>> responses() {
        return List.copyOf(responses);
    }

    public synchronized int resumptions() {
        return resumptions;
    }

    public synchronized int events() {
        return responses.stream().mapToInt(List::size).sum();
    }

    public String name() {
        return name;
    }

    public long startRevision() {
        return startRevision;
    }

    public static WatchLog of(String name, long startRevision, List<List<WatchEvent>> responses) {
        WatchLog log = new WatchLog(name, startRevision);
        responses.forEach(log::response);
        return log;
    }

    /** Flattened events in arrival order. */
    public List<WatchEvent> allEvents() {
        List<WatchEvent> all = new ArrayList<>();
        responses().forEach(all::addAll);
        return all;
    }
}
