package dev.gantry.kv.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchProgressRequest;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.mvcc.KvApplier;
import dev.gantry.kv.mvcc.StoreFixture;
import dev.gantry.kv.mvcc.MvccView;

/** The hub over a real store, fed as the state machine feeds it: delivery paths, slow clients, compaction. */
class WatchHubTest extends StoreFixture {
    WatchHub hub;
    ExecutorService sender = Executors.newSingleThreadExecutor();

    @BeforeEach
    void openHub() {
        hub = new WatchHub(store, Duration.ofMinutes(10));
    }

    @AfterEach
    void closeHub() {
        hub.close();
        sender.shutdownNow();
    }

    /** One applied entry, as the state machine applies and publishes it. */
    private void apply(Consumer<MvccView> commands) {
        List<Event> events = entry(view -> {
            commands.accept(view);
            return view.events();
        });
        hub.publish(events, store.revision());
    }

    private void put(String key, String value) {
        apply(view -> {
            view.beginCommand();
            KvApplier.put(view, PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).build());
            view.endCommand();
        });
    }

    private static ByteString bs(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }

    /** A client stream that records what it receives; {@code ready} says whether it reads. */
    private final class Client {
        final List<WatchResponse> received = new CopyOnWriteArrayList<>();
        volatile boolean ready = true;
        final WatchStream stream;

        Client() {
            this(1 << 20);
        }

        Client(int maxResponseBytes) {
            BooleanSupplier isReady = () -> ready;
            stream = new WatchStream(hub, new WatchStream.Outbound() {
                @Override
                public boolean isReady() {
                    return isReady.getAsBoolean();
                }

                @Override
                public void send(WatchResponse response) {
                    received.add(response);
                }
            }, rev -> ResponseHeader.newBuilder().setRevision(rev).build(), sender, maxResponseBytes, 1024);
        }

        void watch(WatchCreateRequest.Builder create) {
            stream.onRequest(WatchRequest.newBuilder().setCreateRequest(create).build());
        }

        List<String> events() {
            List<String> out = new ArrayList<>();
            for (WatchResponse r : received) {
                for (Event e : r.getEventsList()) {
                    out.add(e.getType() + " " + e.getKv().getKey().toStringUtf8() + "@" + e.getKv().getModRevision());
                }
            }
            return out;
        }

        void awaitEvents(int n) {
            await(() -> events().size() >= n, () -> "events: " + events());
        }
    }

    private static void await(BooleanSupplier condition, java.util.function.Supplier<String> context) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out; " + context.get());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // polling a condition, not a timed wait
        }
    }

    private static WatchCreateRequest.Builder prefix(String p) {
        return WatchCreateRequest.newBuilder().setKey(bs(p)).setRangeEnd(bs(p.substring(0, p.length() - 1)
                + (char) (p.charAt(p.length() - 1) + 1)));
    }

    @Test
    void aWatcherFromThePastCatchesUpFromTheStoreThenFollowsLiveWritesExactlyOnce() {
        for (int i = 0; i < 2500; i++) { // more than one catch-up batch (1000 revisions)
            put("a/" + i, "v");
        }
        Client client = new Client();
        client.watch(prefix("a/").setStartRevision(2));
        for (int i = 2500; i < 2600; i++) {
            put("a/" + i, "v");
        }
        client.awaitEvents(2600);
        List<String> events = client.events();
        assertThat(events).hasSize(2600).doesNotHaveDuplicates();
        for (int i = 0; i < 2600; i++) {
            assertThat(events.get(i)).isEqualTo("PUT a/" + i + "@" + (i + 2));
        }
        assertThat(client.received.get(0).getCreated()).isTrue();
    }

    @Test
    void aClientThatStopsReadingFallsBehindWithoutLosingOrRepeatingEvents() {
        Client slow = new Client();
        Client fast = new Client();
        slow.watch(prefix("k/"));
        fast.watch(prefix("k/"));
        await(() -> slow.received.size() == 1 && fast.received.size() == 1, () -> "created");
        slow.ready = false;
        for (int i = 0; i < 3000; i++) { // more responses than a stream may queue
            put("k/" + i, "v");
        }
        fast.awaitEvents(3000);
        assertThat(slow.events()).isEmpty();
        slow.ready = true;
        slow.stream.onReady();
        slow.awaitEvents(3000);
        assertThat(slow.events()).isEqualTo(fast.events()).doesNotHaveDuplicates();
    }

    @Test
    void aWatcherNeedingACompactedRevisionIsToldAndCancelled() {
        for (int i = 0; i < 10; i++) {
            put("c/" + i, "v");
        }
        apply(view -> {
            view.beginCommand();
            KvApplier.compact(view, CompactionRequest.newBuilder().setRevision(8).build());
            view.endCommand();
        });
        Client client = new Client();
        client.watch(prefix("c/").setStartRevision(3));
        await(() -> client.received.size() >= 2, () -> "responses: " + client.received);
        WatchResponse cancel = client.received.get(1);
        assertThat(cancel.getCompactRevision()).isEqualTo(8);
        assertThat(cancel.getCanceled()).isTrue();
        assertThat(cancel.getEventsCount()).isZero();

        Client atCompaction = new Client();
        atCompaction.watch(prefix("c/").setStartRevision(8)); // the compact revision itself is still readable
        atCompaction.awaitEvents(4);
        assertThat(atCompaction.events()).first().isEqualTo("PUT c/6@8");
    }

    @Test
    void deletesCarryThePreviousValueOnlyForWatchersThatAskedAndFiltersApply() {
        put("d/1", "one");
        Client withPrev = new Client();
        Client noDeletes = new Client();
        withPrev.watch(prefix("d/").setPrevKv(true));
        noDeletes.watch(prefix("d/").addFilters(WatchCreateRequest.FilterType.NODELETE));
        await(() -> withPrev.received.size() == 1 && noDeletes.received.size() == 1, () -> "created");
        apply(view -> {
            view.beginCommand();
            KvApplier.deleteRange(view, DeleteRangeRequest.newBuilder().setKey(bs("d/1")).build());
            view.endCommand();
        });
        put("d/2", "two");
        withPrev.awaitEvents(2);
        noDeletes.awaitEvents(1);
        Event delete = withPrev.received.get(1).getEvents(0);
        assertThat(delete.getType()).isEqualTo(Event.EventType.DELETE);
        assertThat(delete.getPrevKv().getValue().toStringUtf8()).isEqualTo("one");
        assertThat(noDeletes.events()).containsExactly("PUT d/2@4");
        assertThat(noDeletes.received.get(1).getEvents(0).hasPrevKv()).isFalse();
    }

    @Test
    void progressRequestsAnswerWithTheRevisionAllEventsUpToWhichWereSent() {
        put("p/1", "v");
        Client client = new Client();
        client.watch(prefix("p/"));
        put("p/2", "v");
        client.awaitEvents(1);
        client.stream.onRequest(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build());
        await(() -> client.received.size() == 3, () -> "responses: " + client.received);
        WatchResponse progress = client.received.get(2);
        assertThat(progress.getWatchId()).isEqualTo(-1);
        assertThat(progress.getHeader().getRevision()).isEqualTo(3);
    }

    @Test
    void aRevisionTooLargeForOneResponseComesInFragmentsOnlyToWatchersThatAccept() {
        Client fragments = new Client(400);
        Client whole = new Client(400);
        fragments.watch(prefix("f/").setFragment(true));
        whole.watch(prefix("f/"));
        await(() -> fragments.received.size() == 1 && whole.received.size() == 1, () -> "created");
        apply(view -> { // one revision of 20 puts, about 1 KiB of events
            view.beginCommand();
            for (int i = 0; i < 20; i++) {
                view.put(bs("f/" + i).toByteArray(), bs("value-" + i), 0);
            }
            view.endCommand();
        });
        fragments.awaitEvents(20);
        whole.awaitEvents(20);
        List<WatchResponse> parts = fragments.received.subList(1, fragments.received.size());
        assertThat(parts).hasSizeGreaterThan(1);
        assertThat(parts.subList(0, parts.size() - 1)).allMatch(WatchResponse::getFragment);
        assertThat(parts.get(parts.size() - 1).getFragment()).isFalse();
        assertThat(whole.received).hasSize(2); // without fragment, a revision is never split
        assertThat(fragments.events()).isEqualTo(whole.events());
    }

    @Test
    void idleWatchersThatAskedGetProgressNotifications() {
        hub.close();
        hub = new WatchHub(store, Duration.ofMillis(100));
        put("n/1", "v");
        Client client = new Client();
        client.watch(prefix("n/").setProgressNotify(true));
        client.watch(prefix("m/")); // did not ask
        await(() -> client.received.stream().anyMatch(r -> r.getWatchId() == 0 && !r.getCreated()),
                () -> "responses: " + client.received);
        WatchResponse progress = client.received.stream().filter(r -> r.getWatchId() == 0 && !r.getCreated())
                .findFirst().orElseThrow();
        assertThat(progress.getEventsCount()).isZero();
        assertThat(progress.getHeader().getRevision()).isEqualTo(2);
        assertThat(client.received).noneMatch(r -> r.getWatchId() == 1 && !r.getCreated());
    }
}
