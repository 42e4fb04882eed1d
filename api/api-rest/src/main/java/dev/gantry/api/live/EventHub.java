package dev.gantry.api.live;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.gantry.job.Json;

/**
 * Fans {@link LiveEvent}s out to the open event streams, in one order for all of them, and keeps the latest ones so
 * that a client that reconnects with the id of the last event it saw ({@code Last-Event-ID}) gets what it missed.
 *
 * <p>Ids are {@code <epoch>-<sequence>}: the epoch is drawn when this server starts, so an id from another server
 * or from before a restart is recognised as unknown; the client is then told to read the state again
 * ({@code hello} with {@code resumed: false}) instead of being replayed a history that has gaps. A comment goes
 * out every {@link #HEARTBEAT} so that proxies keep an idle stream open and a closed one is noticed.
 *
 * <p>Everything runs on one thread: publishing, subscribing and the heartbeat never interleave.
 */
@Singleton
public class EventHub implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventHub.class);
    static final Duration HEARTBEAT = Duration.ofSeconds(15);
    /** How many events a reconnecting client can catch up on. */
    static final int REPLAY = 4096;
    /** How many notable events {@link #recent} can answer. */
    static final int FEED = 200;
    /** The reconnect delay a browser's EventSource is told to use. */
    static final long RETRY_MILLIS = 2000;

    /** One open stream, as the transport (JAX-RS SSE) provides it. */
    public interface Sink {
        CompletionStage<?> send(String event, String id, String data, Long retryMillis);

        CompletionStage<?> comment(String text);

        boolean isClosed();

        void close();
    }

    private record Stamped(long seq, LiveEvent event, String data) {
    }

    private final String epoch;
    private final ScheduledExecutorService loop;
    private final List<Sink> sinks = new CopyOnWriteArrayList<>();
    private final Deque<Stamped> replay = new ArrayDeque<>();
    private final Deque<LiveEvent> feed = new ArrayDeque<>();
    private long seq;

    public EventHub() {
        this(HEARTBEAT);
    }

    EventHub(Duration heartbeat) {
        this.epoch = Long.toString(new SecureRandom().nextLong() >>> 1, 36);
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "live-events");
            thread.setDaemon(true);
            return thread;
        });
        loop.scheduleWithFixedDelay(this::heartbeat, heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String epoch() {
        return epoch;
    }

    /** Stamps the event with the next id and sends it to every open stream. */
    public void publish(LiveEvent event) {
        loop.execute(() -> {
            Stamped stamped = new Stamped(++seq, event, Json.write(event));
            replay.addLast(stamped);
            if (replay.size() > REPLAY) {
                replay.removeFirst();
            }
            if (event.notable()) {
                feed.addLast(event);
                if (feed.size() > FEED) {
                    feed.removeFirst();
                }
            }
            for (Sink sink : sinks) {
                send(sink, stamped);
            }
        });
    }

    /**
     * Opens a stream: first a {@code hello} ({@code {"epoch", "resumed"}}), then, when {@code lastEventId} is one of
     * this server's ids still kept, every event after it, then live events. {@code resumed: false} tells the client
     * that it may have missed changes and should read the state again.
     */
    public void subscribe(Sink sink, String lastEventId) {
        loop.execute(() -> {
            List<Stamped> missed = missedSince(lastEventId);
            String hello = Json.write(Map.of("epoch", epoch, "resumed", missed != null));
            sink.send("hello", epoch + "-" + seq, hello, RETRY_MILLIS).whenComplete((ok, failure) -> {
                if (failure != null) {
                    drop(sink);
                }
            });
            if (missed != null) {
                missed.forEach(stamped -> send(sink, stamped));
            }
            sinks.add(sink);
        });
    }

    /** The events after {@code lastEventId}; null when that id is not one of this server's or is too old to replay from. */
    private List<Stamped> missedSince(String lastEventId) {
        if (lastEventId == null || !lastEventId.startsWith(epoch + "-")) {
            return null;
        }
        long last;
        try {
            last = Long.parseLong(lastEventId.substring(epoch.length() + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        long oldest = replay.isEmpty() ? seq + 1 : replay.getFirst().seq();
        if (last > seq || last < oldest - 1) {
            return null;
        }
        List<Stamped> missed = new ArrayList<>();
        for (Stamped stamped : replay) {
            if (stamped.seq() > last) {
                missed.add(stamped);
            }
        }
        return missed;
    }

    /** The latest notable events, oldest first. */
    public List<LiveEvent> recent(int limit) {
        try {
            return loop.submit(() -> {
                List<LiveEvent> all = new ArrayList<>(feed);
                return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
            }).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("the event feed did not answer: " + e.getMessage(), e);
        }
    }

    /** How many streams are open (for tests and metrics). */
    public int subscribers() {
        return sinks.size();
    }

    private void send(Sink sink, Stamped stamped) {
        if (sink.isClosed()) {
            drop(sink);
            return;
        }
        try {
            sink.send(stamped.event().type(), epoch + "-" + stamped.seq(), stamped.data(), null).whenComplete((ok, failure) -> {
                if (failure != null) {
                    drop(sink);
                }
            });
        } catch (RuntimeException e) {
            drop(sink);
        }
    }

    private void heartbeat() {
        for (Sink sink : sinks) {
            if (sink.isClosed()) {
                drop(sink);
                continue;
            }
            try {
                sink.comment("ping").whenComplete((ok, failure) -> {
                    if (failure != null) {
                        drop(sink);
                    }
                });
            } catch (RuntimeException e) {
                drop(sink);
            }
        }
    }

    private void drop(Sink sink) {
        if (sinks.remove(sink)) {
            LOG.debugf("event stream closed; %d open", sinks.size());
        }
        try {
            sink.close();
        } catch (RuntimeException e) {
            // already closed by the client
        }
    }

    @Override
    @PreDestroy
    public void close() {
        loop.shutdownNow();
        sinks.forEach(Sink::close);
        sinks.clear();
    }
}
