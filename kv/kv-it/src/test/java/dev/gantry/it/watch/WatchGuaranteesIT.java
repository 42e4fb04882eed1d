package dev.gantry.it.watch;

import com.google.protobuf.ByteString;
import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.DefaultDeadline;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.DeleteRangeResponse;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.api.mvcc.Event.EventType;
import dev.gantry.kv.api.mvcc.KeyValue;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Watch guarantees under concurrent writes, a compaction and a member restart, on a 3-member cluster (the
 * implementation chosen by {@code -Dit.impl}), through the raw gRPC Watch stream as etcd's clients use it.
 *
 * <p>Two writers (one through the leader, one through a follower) put and delete keys under {@value #PREFIX}: single
 * puts, single deletes, range deletes of several keys, and txns that put and delete several keys in one revision.
 * Every write is acknowledged; from the acknowledgements the test computes the exact event history (key, value,
 * create/mod revision, version, and the previous key-value). Watchers, several multiplexed on one stream:
 * <ul>
 *   <li>on the leader: the whole prefix with prev_kv, and the {@code shared/} sub-prefix, both from the first revision
 *       written; later, the whole prefix from the revision after the first compaction (catching up from history while
 *       the writes go on);</li>
 *   <li>on a follower: the whole prefix without prev_kv; later, the whole prefix from a revision that is compacted by
 *       then, which must be canceled with compact_revision set;</li>
 *   <li>on the follower that is restarted (SIGKILL, then started again): the whole prefix with prev_kv, and the
 *       {@code rare/} sub-prefix, written only at the start. While the member is down, the history is compacted up to
 *       the last revision the first of them saw. When the member is back, both resume, as clients do, from the
 *       revision after the last event they saw, on one new stream: the first from just after the compaction, which
 *       must bring every event after it; the second from a compacted revision, which must be canceled with the
 *       compaction revision.</li>
 * </ul>
 * Asserted for every watcher: every event of its range exactly once, in revision order, each equal to the computed one
 * (prev_kv only when asked for, and then equal to the key-value before the event), no revision split over two
 * responses, a header revision not below the events it carries; or, where it asked for a compacted revision, a
 * response with {@code canceled} and the {@code compact_revision} (never a silent gap). A delete event's key-value
 * carries only the key and its mod_revision, as etcd sends it.
 *
 * <p>etcd 3.4 observed: a watch asked from a compacted revision first gets its created response, then a separate
 * response with canceled=true and compact_revision (and, seen through etcdctl, a header revision of 0). A watch from
 * exactly the compaction revision C is not canceled, but it may miss events of revision C: compaction drops a key's
 * tombstone at C, so DELETE events of revision C are gone while PUT events of C remain (seen in a first version of
 * this test). No watcher here starts at a compaction revision: they start after it, or before it and are canceled;
 * what an implementation does at exactly C is left open.
 */
class WatchGuaranteesIT {

    private static final String PREFIX = "/watch-guarantees-it/";
    private static final int OWN_KEYS = 8;
    private static final int SHARED_KEYS = 4;
    private static final int RARE_WRITES = 4;
    private static final Duration RPC_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration AWAIT = Duration.ofSeconds(60);

    @Test
    void everyWatcherSeesEveryEventOnceInOrderOrIsCanceledAtACompaction() {
        try (Cluster cluster = Cluster.start(3)) {
            Member leader = cluster.leader();
            List<Member> followers = cluster.members().stream().filter(member -> member != leader).toList();
            Member follower = followers.get(0);
            Member restarted = followers.get(1);
            long start = kv(leader).range(RangeRequest.newBuilder().setKey(bytes(PREFIX)).build())
                    .getHeader().getRevision() + 1;

            List<Watcher> watchers = new ArrayList<>();
            List<WatchStream> streams = new ArrayList<>();
            try (Writers writers = new Writers(List.of(leader, follower))) {
                WatchStream onLeader = open(streams, leader);
                WatchStream onFollower = open(streams, follower);
                WatchStream onRestarted = open(streams, restarted);
                Watcher all = add(watchers, new Watcher("prefix+prev_kv on leader", PREFIX, true, start));
                Watcher shared = add(watchers, new Watcher("shared/ on leader", PREFIX + "shared/", false, start));
                Watcher plain = add(watchers, new Watcher("prefix on follower", PREFIX, false, start));
                Watcher resumed = add(watchers, new Watcher("prefix+prev_kv on restarted", PREFIX, true, start));
                Watcher rare = add(watchers, new Watcher("rare/ on restarted", PREFIX + "rare/", false, start));
                all.begin(onLeader, start);
                shared.begin(onLeader, start);
                plain.begin(onFollower, start);
                resumed.begin(onRestarted, start);
                rare.begin(onRestarted, start);
                watchers.forEach(watcher -> watcher.awaitCreated(cluster));

                // ---- writes, then a compaction in the middle of the history
                writers.start();
                writers.awaitAcks("the rare writes and 150 more", 150, cluster);
                long firstCompaction = currentRevision(follower) - 50;
                compact(follower, firstCompaction);
                Watcher compacted = add(watchers, new Watcher("prefix from a compacted revision on follower", PREFIX,
                        false, start).expectCanceledAt(firstCompaction));
                Watcher afterCompaction = add(watchers, new Watcher("prefix+prev_kv from after the compaction on leader",
                        PREFIX, true, firstCompaction + 1));
                compacted.begin(onFollower, start);
                afterCompaction.begin(onLeader, firstCompaction + 1);

                // ---- SIGKILL of a follower, once its watchers have seen the writes so far
                long seen = currentRevision(leader);
                Await.until(resumed.name + " at revision " + seen, AWAIT,
                        () -> resumed.lastSeen() >= seen ? Optional.of(true) : Optional.empty(), cluster::toString);
                cluster.kill9(restarted);
                Await.until("the watch stream on the killed member failed", AWAIT,
                        () -> onRestarted.failure() == null ? Optional.empty() : Optional.of(true), () -> "");
                writers.awaitAcks("150 writes while " + restarted + " is down", writers.acks() + 150, cluster);

                // ---- a compaction while it is down: just below the revision the first watcher resumes from, past the
                // one the rare/ watcher resumes from
                long secondCompaction = resumed.lastSeen();
                assertThat(rare.lastSeen() + 1).as("rare/ resumes before the second compaction").isLessThan(secondCompaction);
                compact(follower, secondCompaction);
                rare.expectCanceledAt(secondCompaction);

                cluster.restart(restarted);
                WatchStream again = open(streams, restarted);
                resumed.resume(again);
                // A member that restarts applies the compaction from its log: resume rare/ once it has.
                Await.until(restarted + " applied the compaction at " + secondCompaction, AWAIT,
                        () -> knowsCompaction(restarted, secondCompaction), cluster::toString);
                rare.resume(again);
                writers.awaitAcks("150 writes after the restart", writers.acks() + 150, cluster);
                writers.close();

                // ---- every watcher must reach the end of the history, or be canceled where expected
                History history = writers.history(start);
                for (Watcher watcher : watchers) {
                    watcher.awaitDone(history, cluster);
                }
                List<String> problems = new ArrayList<>();
                for (Watcher watcher : watchers) {
                    problems.addAll(watcher.check(history));
                }
                String report = "WatchGuaranteesIT (" + cluster.implementation() + "): " + history.events.size()
                        + " events in revisions " + start + ".." + history.last + ", compactions at " + firstCompaction
                        + " and " + secondCompaction + "; " + writers.summary() + "; watchers: " + watchers.stream()
                        .map(Watcher::summary).collect(Collectors.joining("; "));
                System.out.println(report);
                assertThat(problems).as(report).isEmpty();
            } finally {
                streams.forEach(WatchStream::close);
            }
        }
    }

    private static <T> T add(List<T> list, T item) {
        list.add(item);
        return item;
    }

    private static WatchStream open(List<WatchStream> streams, Member member) {
        return add(streams, new WatchStream(member));
    }

    // ---- the expected history --------------------------------------------------------------------------------------

    /** A write the test made: a put, or the delete of a key that exists. */
    record Change(String key, String value) {
        static Change put(String key, String value) {
            return new Change(key, value);
        }

        static Change delete(String key) {
            return new Change(key, null);
        }
    }

    /** An acknowledged write: its revision and its changes, in the order the server applies them. */
    record Ack(long revision, List<Change> changes) {
    }

    /** Every event under the prefix from the start revision on, computed from the acknowledged writes. */
    record History(List<Event> events, long last) {
    }

    static History history(List<Ack> acks, long start) {
        List<Ack> sorted = acks.stream().sorted(Comparator.comparingLong(Ack::revision)).toList();
        for (int i = 0; i < sorted.size(); i++) {
            assertThat(sorted.get(i).revision()).as("revision of acknowledged write %d: one revision per write, no gap", i)
                    .isEqualTo(start + i);
        }
        Map<String, KeyValue> store = new HashMap<>();
        List<Event> events = new ArrayList<>();
        for (Ack ack : sorted) {
            for (Change change : ack.changes()) {
                KeyValue previous = store.get(change.key());
                Event.Builder event = Event.newBuilder();
                if (previous != null) {
                    event.setPrevKv(previous);
                }
                if (change.value() == null) {
                    assertThat(previous).as("%s deleted at %d exists", change.key(), ack.revision()).isNotNull();
                    store.remove(change.key());
                    event.setType(EventType.DELETE).setKv(KeyValue.newBuilder().setKey(bytes(change.key()))
                            .setModRevision(ack.revision()));
                } else {
                    KeyValue kv = KeyValue.newBuilder().setKey(bytes(change.key())).setValue(bytes(change.value()))
                            .setCreateRevision(previous == null ? ack.revision() : previous.getCreateRevision())
                            .setModRevision(ack.revision())
                            .setVersion(previous == null ? 1 : previous.getVersion() + 1)
                            .build();
                    store.put(change.key(), kv);
                    event.setType(EventType.PUT).setKv(kv);
                }
                events.add(event.build());
            }
        }
        return new History(List.copyOf(events), sorted.isEmpty() ? start - 1 : sorted.getLast().revision());
    }

    // ---- writers ---------------------------------------------------------------------------------------------------

    /**
     * One writer thread per member, each on its own keys ({@code w<i>/k<j>}, which only it deletes, so it knows which
     * exist) and on shared keys that are only ever put; writer 0 also puts the {@code rare/} keys in its first writes.
     * A write that fails stops its writer and fails the test: its outcome would be unknown.
     */
    private static final class Writers implements AutoCloseable {
        private final List<Member> members;
        private final List<Thread> threads = new ArrayList<>();
        private final Queue<Ack> acks = new ConcurrentLinkedQueue<>();
        private final AtomicInteger count = new AtomicInteger();
        private final AtomicInteger rareWrites = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean stopping;

        Writers(List<Member> members) {
            this.members = members;
        }

        void start() {
            for (int i = 0; i < members.size(); i++) {
                int writer = i;
                threads.add(Thread.ofPlatform().daemon().name("writer-" + i).start(() -> run(writer)));
            }
        }

        private void run(int writer) {
            KVGrpc.KVBlockingStub kv = kv(members.get(writer));
            Random random = new Random(writer);
            Set<String> existing = new TreeSet<>();
            try {
                for (int n = 0; !stopping; n++) {
                    String value = "w" + writer + "-" + n;
                    int ownKey = random.nextInt(OWN_KEYS);
                    String own = own(writer, ownKey);
                    int dice = random.nextInt(100);
                    Ack ack;
                    if (writer == 0 && n % 5 == 0 && n / 5 < RARE_WRITES) {
                        ack = txn(kv, List.of(Change.put(PREFIX + "rare/r" + (n / 5) % 3, value), Change.put(own, value)));
                        existing.add(own);
                        rareWrites.incrementAndGet();
                    } else if (dice < 35 || existing.isEmpty() && dice < 75) {
                        ack = put(kv, own, value);
                        existing.add(own);
                    } else if (dice < 50) {
                        ack = put(kv, shared(random.nextInt(SHARED_KEYS)), value);
                    } else if (dice < 65) {
                        String victim = existing.stream().skip(random.nextInt(existing.size())).findFirst().orElseThrow();
                        ack = delete(kv, victim, null);
                        existing.remove(victim);
                    } else if (dice < 75) {
                        // A range delete of k0..k3: whichever of them exist go in one revision, in key order.
                        List<String> inRange = existing.stream().filter(key -> key.compareTo(own(writer, 4)) < 0).toList();
                        if (inRange.isEmpty()) {
                            ack = put(kv, own, value);
                            existing.add(own);
                        } else {
                            ack = delete(kv, own(writer, 0), own(writer, 4));
                            existing.removeAll(inRange);
                        }
                    } else {
                        String second = own(writer, (ownKey + 1 + random.nextInt(OWN_KEYS - 1)) % OWN_KEYS);
                        List<Change> changes = new ArrayList<>(List.of(Change.put(own, value), Change.put(second, value),
                                Change.put(shared(random.nextInt(SHARED_KEYS)), value)));
                        existing.stream().filter(key -> !key.equals(own) && !key.equals(second)).findFirst()
                                .ifPresent(key -> changes.add(Change.delete(key)));
                        ack = txn(kv, changes);
                        changes.forEach(change -> {
                            if (change.value() == null) {
                                existing.remove(change.key());
                            } else if (!change.key().contains("/shared/")) {
                                existing.add(change.key());
                            }
                        });
                    }
                    acks.add(ack);
                    count.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, new AssertionError("writer " + writer + " on " + members.get(writer)
                        + " failed: the outcome of its write is unknown", t));
            }
        }

        private static String own(int writer, int key) {
            return PREFIX + "w" + writer + "/k" + key;
        }

        private static String shared(int key) {
            return PREFIX + "shared/s" + key;
        }

        private static Ack put(KVGrpc.KVBlockingStub kv, String key, String value) {
            long revision = kv.put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build())
                    .getHeader().getRevision();
            return new Ack(revision, List.of(Change.put(key, value)));
        }

        /** Deletes a key ({@code end} null) or a range, which must hold at least one key; prev_kv tells which. */
        private static Ack delete(KVGrpc.KVBlockingStub kv, String key, String end) {
            DeleteRangeRequest.Builder request = DeleteRangeRequest.newBuilder().setKey(bytes(key)).setPrevKv(true);
            if (end != null) {
                request.setRangeEnd(bytes(end));
            }
            DeleteRangeResponse response = kv.deleteRange(request.build());
            assertThat(response.getDeleted()).as("keys deleted from %s", key).isPositive();
            return new Ack(response.getHeader().getRevision(), response.getPrevKvsList().stream()
                    .map(deleted -> Change.delete(deleted.getKey().toStringUtf8())).toList());
        }

        private static Ack txn(KVGrpc.KVBlockingStub kv, List<Change> changes) {
            TxnRequest.Builder txn = TxnRequest.newBuilder();
            for (Change change : changes) {
                txn.addSuccess(change.value() == null
                        ? RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder()
                                .setKey(bytes(change.key()))).build()
                        : RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bytes(change.key()))
                                .setValue(bytes(change.value()))).build());
            }
            long revision = kv.txn(txn.build()).getHeader().getRevision();
            return new Ack(revision, List.copyOf(changes));
        }

        int acks() {
            return count.get();
        }

        /** Waits until {@code total} writes are acknowledged, and the rare/ writes are done. */
        void awaitAcks(String what, int total, Cluster cluster) {
            Await.until(what, AWAIT, () -> {
                if (failure.get() != null) {
                    throw new Await.Abort("a writer failed", failure.get());
                }
                return count.get() >= total && rareWrites.get() >= RARE_WRITES ? Optional.of(true) : Optional.empty();
            }, () -> summary() + "\n" + cluster.logTails(Cluster.LOG_TAIL_LINES));
        }

        History history(long start) {
            return WatchGuaranteesIT.history(List.copyOf(acks), start);
        }

        String summary() {
            return count.get() + " acknowledged writes";
        }

        /** Stops the writers after their current write; fails if one of them failed. */
        @Override
        public void close() {
            stopping = true;
            for (Thread thread : threads) {
                try {
                    thread.join(RPC_TIMEOUT.plusSeconds(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (failure.get() != null) {
                throw new IllegalStateException(failure.get());
            }
        }
    }

    // ---- watchers --------------------------------------------------------------------------------------------------

    /** One gRPC Watch stream to a member, carrying any number of watches; responses go to their watcher by ID. */
    private static final class WatchStream implements StreamObserver<WatchResponse> {
        private final Member member;
        private final StreamObserver<WatchRequest> requests;
        /** Watchers whose create request is sent and not yet answered: a stream answers creates in order. */
        private final Queue<Watcher> creating = new ConcurrentLinkedQueue<>();
        private final Map<Long, Watcher> watching = new ConcurrentHashMap<>();
        private volatile Status failure;

        WatchStream(Member member) {
            this.member = member;
            this.requests = WatchGrpc.newStub(member.channel()).watch(this);
        }

        synchronized void create(Watcher watcher, long startRevision) {
            creating.add(watcher);
            requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
                    .setKey(bytes(watcher.key)).setRangeEnd(prefixEnd(watcher.key))
                    .setStartRevision(startRevision).setPrevKv(watcher.prevKv)).build());
        }

        @Override
        public void onNext(WatchResponse response) {
            Watcher watcher = response.getCreated() ? creating.poll() : watching.get(response.getWatchId());
            if (watcher == null) {
                throw new IllegalStateException("response for no watcher of " + member + ": " + response);
            }
            if (response.getCreated()) {
                watching.put(response.getWatchId(), watcher);
            }
            watcher.received(response);
        }

        @Override
        public void onError(Throwable error) {
            failure = Status.fromThrowable(error);
            creating.forEach(watcher -> watcher.failed(failure));
            watching.values().forEach(watcher -> watcher.failed(failure));
        }

        @Override
        public void onCompleted() {
            onError(Status.INTERNAL.withDescription("the server ended the watch stream").asException());
        }

        Status failure() {
            return failure;
        }

        synchronized void close() {
            if (failure == null) {
                requests.onError(Status.CANCELLED.withDescription("test over").asException());
            }
        }
    }

    /**
     * One watch over a prefix, across the streams it is opened on: a session per stream, the responses of each, and
     * how each ended. Resuming opens a new session from the revision after the last event seen.
     */
    private static final class Watcher {
        final String name;
        final String key;
        final boolean prevKv;
        final long start;
        private final List<Session> sessions = new CopyOnWriteArrayList<>();
        private volatile long lastSeen;
        private volatile long expectedCompaction;

        Watcher(String name, String key, boolean prevKv, long start) {
            this.name = name;
            this.key = key;
            this.prevKv = prevKv;
            this.start = start;
            this.lastSeen = start - 1;
        }

        Watcher expectCanceledAt(long compaction) {
            this.expectedCompaction = compaction;
            return this;
        }

        /** The responses of one watch request and how it ended: canceled, the stream failed, or still open. */
        static final class Session {
            final long from;
            final String member;
            final List<WatchResponse> responses = new CopyOnWriteArrayList<>();
            volatile Status failure;

            Session(long from, String member) {
                this.from = from;
                this.member = member;
            }

            boolean canceled() {
                return responses.stream().anyMatch(WatchResponse::getCanceled);
            }
        }

        void begin(WatchStream stream, long from) {
            sessions.add(new Session(from, stream.member.name()));
            stream.create(this, from);
        }

        /** As a client does after its stream failed: watch again from the revision after the last event seen. */
        void resume(WatchStream stream) {
            assertThat(current().failure).as("%s resumes after its stream failed", name).isNotNull();
            begin(stream, lastSeen + 1);
        }

        private Session current() {
            return sessions.getLast();
        }

        void received(WatchResponse response) {
            current().responses.add(response);
            if (response.getEventsCount() > 0) {
                lastSeen = response.getEvents(response.getEventsCount() - 1).getKv().getModRevision();
            }
        }

        void failed(Status status) {
            current().failure = status;
        }

        long lastSeen() {
            return lastSeen;
        }

        void awaitCreated(Cluster cluster) {
            Await.until(name + " created", AWAIT, () -> {
                if (current().failure != null) {
                    throw new Await.Abort("its stream failed: " + current().failure);
                }
                return current().responses.isEmpty() ? Optional.empty() : Optional.of(true);
            }, cluster::toString);
        }

        /** The events of this watcher's range from its start revision, with prev_kv only if it asked for them. */
        List<Event> expected(History history) {
            return history.events().stream()
                    .filter(event -> event.getKv().getModRevision() >= start)
                    .filter(event -> event.getKv().getKey().toStringUtf8().startsWith(key))
                    .map(event -> prevKv ? event : event.toBuilder().clearPrevKv().build())
                    .toList();
        }

        /** Waits until this watcher has seen the last event of its range, or been canceled. */
        void awaitDone(History history, Cluster cluster) {
            List<Event> expected = expected(history);
            long last = expected.isEmpty() ? 0 : expected.getLast().getKv().getModRevision();
            Await.until(name + (expectedCompaction > 0 ? " canceled" : " at revision " + last), AWAIT, () -> {
                boolean done = expectedCompaction > 0 ? current().canceled() : lastSeen >= last;
                return done || current().canceled() ? Optional.of(true) : Optional.empty();
            }, () -> summary() + "\n" + cluster.logTails(Cluster.LOG_TAIL_LINES));
        }

        /** What went wrong, if anything: every response of every session against the expected events. */
        List<String> check(History history) {
            List<Event> expected = expected(history);
            List<String> problems = new ArrayList<>();
            int next = 0;
            for (Session session : sessions) {
                String where = name + ", session from " + session.from + " on " + session.member;
                long resumeFrom = next == 0 ? start : expected.get(next - 1).getKv().getModRevision() + 1;
                if (session.from != resumeFrom) {
                    problems.add(where + ": started from " + session.from + ", not from " + resumeFrom);
                }
                if (session.responses.isEmpty() || !session.responses.getFirst().getCreated()) {
                    problems.add(where + ": the first response is not 'created': " + session.responses.stream()
                            .findFirst().map(WatchGuaranteesIT::describe).orElse("none"));
                }
                long previousRevision = session.from - 1;
                for (WatchResponse response : session.responses) {
                    if (response.getCanceled()) {
                        if (response.getCompactRevision() == 0) {
                            problems.add(where + ": canceled without compact_revision: " + describe(response));
                        } else if (response.getCompactRevision() != expectedCompaction) {
                            problems.add(where + ": canceled at compact_revision " + response.getCompactRevision()
                                    + ", expected " + (expectedCompaction == 0 ? "no cancel" : expectedCompaction));
                        } else if (session.from >= response.getCompactRevision()) {
                            problems.add(where + ": canceled, but revision " + session.from + " is not compacted: "
                                    + describe(response));
                        }
                    }
                    if (response.getEventsCount() == 0) {
                        continue;
                    }
                    long first = response.getEvents(0).getKv().getModRevision();
                    long last = response.getEvents(response.getEventsCount() - 1).getKv().getModRevision();
                    if (first <= previousRevision) {
                        problems.add(where + ": a response starts at revision " + first + ", not after " + previousRevision
                                + " (a revision split over responses, or out of order)");
                    }
                    if (response.getHeader().getRevision() < last) {
                        problems.add(where + ": header revision " + response.getHeader().getRevision()
                                + " below the events it carries: " + describe(response));
                    }
                    previousRevision = last;
                    for (Event event : response.getEventsList()) {
                        if (next >= expected.size()) {
                            problems.add(where + ": an event after the last expected one: " + describe(event));
                            return problems;
                        }
                        if (!event.equals(expected.get(next))) {
                            problems.add(where + ": event " + next + " of " + expected.size() + " is " + describe(event)
                                    + ", expected " + describe(expected.get(next)));
                            return problems;
                        }
                        next++;
                    }
                }
            }
            Session last = current();
            if (expectedCompaction > 0 && !last.canceled()) {
                problems.add(name + ": not canceled, though it asked for revision " + last.from + ", compacted at "
                        + expectedCompaction);
            }
            if (expectedCompaction == 0 && next < expected.size()) {
                problems.add(name + ": saw " + next + " of " + expected.size() + " events; the next one missing is "
                        + describe(expected.get(next)));
            }
            if (expectedCompaction == 0 && (last.failure != null || last.canceled())) {
                problems.add(name + ": its last session ended: " + (last.failure != null ? last.failure
                        : describe(last.responses.getLast())));
            }
            return problems;
        }

        String summary() {
            return name + ": " + sessions.stream().map(session -> session.member + " from " + session.from + " "
                    + session.responses.size() + " responses "
                    + session.responses.stream().mapToInt(WatchResponse::getEventsCount).sum() + " events"
                    + (session.canceled() ? " canceled" : "") + (session.failure != null ? " failed " + session.failure
                    .getCode() : "")).collect(Collectors.joining(", then ", "[", "]"));
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static Channel withDeadline(Member member) {
        return ClientInterceptors.intercept(member.channel(), new DefaultDeadline(RPC_TIMEOUT));
    }

    private static KVGrpc.KVBlockingStub kv(Member member) {
        return KVGrpc.newBlockingStub(withDeadline(member));
    }

    private static long currentRevision(Member member) {
        return kv(member).range(RangeRequest.newBuilder().setKey(bytes(PREFIX)).build()).getHeader().getRevision();
    }

    private static void compact(Member member, long revision) {
        kv(member).compact(CompactionRequest.newBuilder().setRevision(revision).build());
    }

    /** Whether the member has applied a compaction at {@code revision}: a local read just below it fails. */
    private static Optional<Boolean> knowsCompaction(Member member, long revision) {
        try {
            kv(member).range(RangeRequest.newBuilder().setKey(bytes(PREFIX)).setSerializable(true)
                    .setRevision(revision - 1).build());
            return Optional.empty();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.OUT_OF_RANGE) {
                return Optional.of(true);
            }
            throw e;
        }
    }

    static ByteString bytes(String text) {
        return ByteString.copyFromUtf8(text);
    }

    private static ByteString prefixEnd(String prefix) {
        byte[] end = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        end[end.length - 1]++;
        return ByteString.copyFrom(end);
    }

    private static String describe(Event event) {
        KeyValue kv = event.getKv();
        return event.getType() + " " + kv.getKey().toStringUtf8() + "=" + kv.getValue().toStringUtf8() + " (create "
                + kv.getCreateRevision() + ", mod " + kv.getModRevision() + ", version " + kv.getVersion() + ", lease "
                + kv.getLease() + ")" + (event.hasPrevKv() ? " prev " + kv(event.getPrevKv()) : "");
    }

    private static String kv(KeyValue kv) {
        return kv.getValue().toStringUtf8() + " (create " + kv.getCreateRevision() + ", mod " + kv.getModRevision()
                + ", version " + kv.getVersion() + ")";
    }

    private static String describe(WatchResponse response) {
        return "{watch " + response.getWatchId() + (response.getCreated() ? " created" : "")
                + (response.getCanceled() ? " canceled '" + response.getCancelReason() + "'" : "")
                + (response.getCompactRevision() != 0 ? " compact_revision " + response.getCompactRevision() : "")
                + ", header revision " + response.getHeader().getRevision() + ", " + response.getEventsCount()
                + " events}";
    }
}
