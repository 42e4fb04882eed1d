package dev.gantry.api.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.gantry.job.Json;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;

class EventHubTest {
    private final EventHub hub = new EventHub(Duration.ofMillis(50));

    /** What a stream received, in order: "event id data" lines, and "ping" for comments. */
    private static final class RecordingSink implements EventHub.Sink {
        final List<String> received = new CopyOnWriteArrayList<>();
        volatile boolean closed;
        volatile boolean failing;

        @Override
        public CompletionStage<?> send(String event, String id, String data, Long retryMillis) {
            if (failing) {
                return CompletableFuture.failedFuture(new IllegalStateException("client gone"));
            }
            received.add(event + " " + id + " " + data);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<?> comment(String text) {
            if (failing) {
                return CompletableFuture.failedFuture(new IllegalStateException("client gone"));
            }
            received.add(text);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void close() {
            closed = true;
        }

        List<String> events() {
            return received.stream().filter(r -> !r.equals("ping")).toList();
        }

        String lastId() {
            String last = events().getLast();
            return last.split(" ")[1];
        }
    }

    @AfterEach
    void close() {
        hub.close();
    }

    private static LiveEvent submitted(String name) {
        Task task = Task.submitted(name + "-abcde", new TaskSpec(name, null, null, null, null, null, null, null, List.of("true"), null, null),
                null, Instant.now());
        return LiveEvent.job(null, task, Instant.now());
    }

    /** Waits for the hub's one thread to have done everything asked of it before now. */
    private void drain() throws Exception {
        hub.recent(1);
    }

    @Test
    void aNewStreamGetsHelloThenLiveEventsInOrder() throws Exception {
        RecordingSink sink = new RecordingSink();
        hub.subscribe(sink, null);
        hub.publish(submitted("a"));
        hub.publish(submitted("b"));
        drain();
        List<String> events = sink.events();
        assertThat(events).hasSize(3);
        assertThat(events.get(0)).startsWith("hello " + hub.epoch() + "-0 ");
        assertThat(json(events.get(0)).get("resumed").asBoolean()).isFalse();
        assertThat(events.get(1)).startsWith("job " + hub.epoch() + "-1 ").contains("\"name\":\"a\"", "\"kind\":\"submitted\"");
        assertThat(events.get(2)).startsWith("job " + hub.epoch() + "-2 ").contains("\"name\":\"b\"");
    }

    @Test
    void aReconnectingStreamGetsWhatItMissed() throws Exception {
        RecordingSink first = new RecordingSink();
        hub.subscribe(first, null);
        hub.publish(submitted("a"));
        drain();
        String lastSeen = first.lastId();
        first.closed = true;
        hub.publish(submitted("b"));
        hub.publish(submitted("c"));

        RecordingSink again = new RecordingSink();
        hub.subscribe(again, lastSeen);
        drain();
        List<String> events = again.events();
        assertThat(json(events.get(0)).get("resumed").asBoolean()).isTrue();
        assertThat(events.subList(1, events.size())).hasSize(2).satisfiesExactly(
                e -> assertThat(e).contains("\"name\":\"b\""), e -> assertThat(e).contains("\"name\":\"c\""));
    }

    @Test
    void anIdFromAnotherServerOrTooOldIsNotReplayed() throws Exception {
        hub.publish(submitted("a"));
        RecordingSink foreign = new RecordingSink();
        hub.subscribe(foreign, "otherepoch-1");
        RecordingSink garbage = new RecordingSink();
        hub.subscribe(garbage, hub.epoch() + "-x");
        RecordingSink future = new RecordingSink();
        hub.subscribe(future, hub.epoch() + "-99");
        drain();
        for (RecordingSink sink : List.of(foreign, garbage, future)) {
            assertThat(sink.events()).hasSize(1);
            assertThat(json(sink.events().getFirst()).get("resumed").asBoolean()).isFalse();
        }
    }

    @Test
    void eventsOlderThanTheReplayBufferMeanResync() throws Exception {
        for (int i = 0; i < EventHub.REPLAY + 10; i++) {
            hub.publish(submitted("n" + i));
        }
        RecordingSink late = new RecordingSink();
        hub.subscribe(late, hub.epoch() + "-1");
        RecordingSink recent = new RecordingSink();
        hub.subscribe(recent, hub.epoch() + "-" + (EventHub.REPLAY + 5));
        drain();
        assertThat(json(late.events().getFirst()).get("resumed").asBoolean()).isFalse();
        assertThat(late.events()).hasSize(1);
        assertThat(json(recent.events().getFirst()).get("resumed").asBoolean()).isTrue();
        assertThat(recent.events()).hasSize(1 + 5);
    }

    @Test
    void heartbeatsKeepStreamsOpenAndDropClosedOnes() throws Exception {
        RecordingSink open = new RecordingSink();
        RecordingSink gone = new RecordingSink();
        hub.subscribe(open, null);
        hub.subscribe(gone, null);
        drain();
        assertThat(hub.subscribers()).isEqualTo(2);
        gone.failing = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((hub.subscribers() != 1 || !open.received.contains("ping")) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            drain();
        }
        assertThat(open.received).contains("ping");
        assertThat(hub.subscribers()).isEqualTo(1);
        assertThat(gone.closed).isTrue();
    }

    @Test
    void theFeedKeepsNotableEventsOnly() {
        Task task = Task.submitted("x-abcde", new TaskSpec("x", null, null, null, null, null, null, null, List.of("true"), null, null),
                null, Instant.now());
        hub.publish(LiveEvent.job(null, task, Instant.now()));
        hub.publish(LiveEvent.node("gpu-1", true, true, Instant.now()));
        hub.publish(LiveEvent.node("gpu-1", true, false, Instant.now()));
        assertThat(hub.recent(10)).extracting(LiveEvent::kind).containsExactly("submitted", "lost");
        assertThat(hub.recent(1)).extracting(LiveEvent::kind).containsExactly("lost");
    }

    private static JsonNode json(String line) {
        try {
            return Json.mapper().readTree(line.substring(line.indexOf(' ', line.indexOf(' ') + 1) + 1));
        } catch (Exception e) {
            throw new IllegalStateException(line, e);
        }
    }
}
