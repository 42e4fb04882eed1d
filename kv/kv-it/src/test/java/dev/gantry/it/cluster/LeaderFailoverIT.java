package dev.gantry.it.cluster;

import com.google.protobuf.ByteString;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.api.etcd.StatusResponse;
import dev.gantry.kv.api.mvcc.KeyValue;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGKILL of the leader of a 3-member cluster (default timings: heartbeat 100 ms, election 1000 ms) under a stream
 * of writes, then SIGKILL of every member and a restart of all three from their data dirs.
 *
 * <p>The writer is a plain gRPC client (the blocking KV stub) that spreads its puts over the running members and, like
 * etcd's clients, retries a put that failed with UNAVAILABLE or DEADLINE_EXCEEDED, or on a lost connection, on another
 * member (any other status from a server is recorded, and fails the test). Each put has a client deadline of
 * {@value #PUT_DEADLINE_MS} ms; a put counts as acknowledged when a PutResponse came back.
 * Asserted:
 * <ul>
 *   <li>a surviving member reports a new leader (another member) within 3 s of the kill, measured from just before
 *       the SIGKILL to the first Maintenance.Status response naming it, polling each survivor every 50 ms;</li>
 *   <li>acknowledged writes go on after the kill: puts sent once the killed process is gone are acknowledged;</li>
 *   <li>after all three members were killed and restarted, every acknowledged key is there with its value, at a
 *       revision no lower than the acknowledged one, read linearizably and then serializably on every member;</li>
 *   <li>revisions never go backwards across the restart.</li>
 * </ul>
 * The timings observed are printed (stdout of the test) whether the test passes or fails.
 */
class LeaderFailoverIT {

    private static final long PUT_DEADLINE_MS = 3_000;
    private static final Duration ELECTION_BOUND = Duration.ofSeconds(3);
    private static final Duration STATUS_POLL_INTERVAL = Duration.ofMillis(50);
    private static final Duration STATUS_DEADLINE = Duration.ofMillis(500);
    /** How long the pollers watch for a new leader at most: well past the bound, to report the real time. */
    private static final Duration ELECTION_WATCH = Duration.ofSeconds(30);
    private static final int ACKS_BEFORE_KILL = 100;
    private static final int ACKS_AFTER_KILL = 50;
    private static final Duration WRITES_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
    private static final String PREFIX = "/leader-failover-it/";

    @Test
    void aKilledLeaderIsReplacedWithinThreeSecondsAndNoAcknowledgedWriteIsLost() {
        SoftAssertions softly = new SoftAssertions();
        try (Cluster cluster = Cluster.start(3); Writer writer = new Writer(cluster)) {
            Member leader = cluster.leader();
            long killedId = leader.id();
            List<Member> survivors = cluster.members().stream().filter(member -> member != leader).toList();

            long writerStartedAt = System.nanoTime();
            writer.start();
            writer.awaitAcks("first " + ACKS_BEFORE_KILL + " acknowledged puts", ACKS_BEFORE_KILL, writerStartedAt,
                    cluster);

            // ---- kill -9 the leader while the writer runs; watch the survivors for a new leader
            try (LeaderWatch watch = new LeaderWatch(survivors, killedId)) {
                assertThat(cluster.status(leader).getLeader()).as("%s is still the leader", leader)
                        .isEqualTo(killedId);
                int acksAtKill = writer.ackCount();
                long killedAt = System.nanoTime();
                watch.start(killedAt);
                cluster.kill9(leader);
                long killReturnedAt = System.nanoTime();

                Map<Member, Sighting> sightings = watch.await();
                // Puts sent once the killed process is gone: only a new leader can commit them.
                Ack firstAckAfterKill = writer.awaitAcks(ACKS_AFTER_KILL + " puts sent after the kill acknowledged",
                        ACKS_AFTER_KILL, killReturnedAt, cluster);

                Optional<Sighting> first = sightings.values().stream()
                        .min((a, b) -> Long.compare(a.nanos(), b.nanos()));
                String timings = "leader %s (id %x) killed (kill9 returned after %d ms); new leader reported: %s; "
                        .formatted(leader.name(), killedId, millis(killReturnedAt - killedAt), sightings.entrySet()
                                .stream().map(e -> e.getKey().name() + " names " + name(cluster, e.getValue().leaderId())
                                        + " after " + millis(e.getValue().nanos() - killedAt) + " ms")
                                .collect(Collectors.joining(", ", "[", "]")))
                        + "first put sent after the killed process was gone acknowledged " + millis(firstAckAfterKill
                        .ackedNanos() - killedAt) + " ms after the kill; acks at kill " + acksAtKill + "; "
                        + writer.summary();
                System.out.println("LeaderFailoverIT timings (" + cluster.implementation() + "): " + timings);

                softly.assertThat(first).as("a survivor reporting a new leader; %s; last failures: %s\n%s", timings,
                        watch.lastFailures(), cluster.logTails(Cluster.LOG_TAIL_LINES)).isPresent();
                first.ifPresent(sighting -> {
                    softly.assertThat(Duration.ofNanos(sighting.nanos() - killedAt))
                            .as("kill of the leader to a new leader reported by a survivor; %s", timings)
                            .isLessThanOrEqualTo(ELECTION_BOUND);
                    softly.assertThat(survivors).extracting(Member::id).as("new leader is a survivor")
                            .contains(sighting.leaderId());
                });
                softly.assertThat(cluster.leader()).as("leader agreed on by the survivors").isIn(survivors);
                softly.assertThat(writer.ackCount()).as("acknowledged puts, versus %d at the kill", acksAtKill)
                        .isGreaterThan(acksAtKill);
            }

            writer.close();
            List<Ack> acks = writer.acks();
            long highestRevisionSeen = Math.max(acks.stream().mapToLong(Ack::revision).max().orElseThrow(),
                    Await.until("a linearizable read on a survivor", READ_TIMEOUT,
                            () -> Optional.of(range(survivors.getFirst(), false).getHeader().getRevision()),
                            () -> cluster.logTails(Cluster.LOG_TAIL_LINES)));

            // ---- kill -9 every member, restart all three on their data dirs
            cluster.members().forEach(cluster::kill9);
            cluster.restart(cluster.members());
            Member newLeader = cluster.leader();
            System.out.println("LeaderFailoverIT restart (" + cluster.implementation() + "): " + acks.size()
                    + " acknowledged puts, highest revision seen " + highestRevisionSeen + ", leader after restart "
                    + newLeader.name());

            Member linearizableReader = cluster.members().stream().filter(member -> member != newLeader)
                    .findFirst().orElseThrow();
            RangeResponse linearizable = Await.until("a linearizable read on " + linearizableReader + " after the "
                            + "restart", READ_TIMEOUT, () -> Optional.of(range(linearizableReader, false)),
                    () -> cluster.logTails(Cluster.LOG_TAIL_LINES));
            softly.assertThat(linearizable.getHeader().getRevision())
                    .as("revision after the restart versus the highest seen before")
                    .isGreaterThanOrEqualTo(highestRevisionSeen);
            assertAllAcknowledged(softly, "linearizable read on " + linearizableReader, acks, linearizable);

            PutResponse afterRestart = Await.until("a put after the restart", READ_TIMEOUT,
                    () -> Optional.of(put(newLeader, PREFIX + "after-restart", "1")),
                    () -> cluster.logTails(Cluster.LOG_TAIL_LINES));
            softly.assertThat(afterRestart.getHeader().getRevision())
                    .as("revision of the first put after the restart versus the highest seen before")
                    .isGreaterThan(highestRevisionSeen);

            for (Member member : cluster.members()) {
                // A serializable read is local: wait until the member has applied every acknowledged put.
                AtomicReference<List<String>> lastMissing = new AtomicReference<>(List.of());
                RangeResponse local = Await.until(member + " serving every acknowledged put serializably",
                        READ_TIMEOUT, () -> {
                            RangeResponse response = range(member, true);
                            lastMissing.set(missingOrStale(acks, response));
                            return lastMissing.get().isEmpty() ? Optional.of(response) : Optional.empty();
                        }, () -> "missing or stale at the last read (" + lastMissing.get().size() + "): "
                                + lastMissing.get().stream().limit(20).toList() + "\n"
                                + cluster.logTails(Cluster.LOG_TAIL_LINES));
                softly.assertThat(local.getHeader().getRevision()).as("serializable revision on %s", member)
                        .isGreaterThanOrEqualTo(highestRevisionSeen);
                assertAllAcknowledged(softly, "serializable read on " + member, acks, local);
            }

            softly.assertThat(writer.unexpectedFailures())
                    .as("put failures other than UNAVAILABLE, DEADLINE_EXCEEDED and lost connections").isEmpty();
        } catch (RuntimeException | AssertionError failure) {
            // A wait that timed out ends the test: it still reports what the soft assertions found before.
            softly.errorsCollected().forEach(failure::addSuppressed);
            throw failure;
        }
        softly.assertAll();
    }

    private static void assertAllAcknowledged(SoftAssertions softly, String read, List<Ack> acks,
            RangeResponse response) {
        softly.assertThat(missingOrStale(acks, response))
                .as("acknowledged puts missing, with another value or at a lower revision, in a %s (of %d "
                        + "acknowledged)", read, acks.size())
                .isEmpty();
    }

    /** The acknowledged puts that the response lacks, or has with another value or an older revision. */
    private static List<String> missingOrStale(List<Ack> acks, RangeResponse response) {
        Map<String, KeyValue> found = response.getKvsList().stream()
                .collect(Collectors.toMap(kv -> kv.getKey().toStringUtf8(), Function.identity()));
        List<String> wrong = new ArrayList<>();
        for (Ack ack : acks) {
            KeyValue kv = found.get(ack.key());
            if (kv == null) {
                wrong.add(ack + ": missing");
            } else if (!kv.getValue().toStringUtf8().equals(ack.value())) {
                wrong.add(ack + ": value " + kv.getValue().toStringUtf8());
            } else if (kv.getModRevision() < ack.revision()) {
                // A put is retried after a timeout, so a key may be written again later: never earlier.
                wrong.add(ack + ": mod_revision " + kv.getModRevision());
            }
        }
        return wrong;
    }

    private static RangeResponse range(Member member, boolean serializable) {
        ByteString prefix = ByteString.copyFromUtf8(PREFIX);
        byte[] end = prefix.toByteArray();
        end[end.length - 1]++;
        return KVGrpc.newBlockingStub(member.channel())
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .range(RangeRequest.newBuilder().setKey(prefix).setRangeEnd(ByteString.copyFrom(end))
                        .setSerializable(serializable).build());
    }

    private static PutResponse put(Member member, String key, String value) {
        return KVGrpc.newBlockingStub(member.channel())
                .withDeadlineAfter(PUT_DEADLINE_MS, TimeUnit.MILLISECONDS)
                .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                        .setValue(ByteString.copyFrom(value, StandardCharsets.UTF_8)).build());
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static String name(Cluster cluster, long id) {
        return cluster.members().stream().filter(member -> member.id() == id).map(Member::name).findFirst()
                .orElse(Long.toHexString(id));
    }

    /** One acknowledged put: what was written, at which revision, when it was sent and acknowledged, by whom. */
    record Ack(String key, String value, long revision, long sentNanos, long ackedNanos, String member) {
        @Override
        public String toString() {
            return key + "=" + value + "@" + revision + " (via " + member + ")";
        }
    }

    /** The first Status response of a survivor that names a new leader, and when it came. */
    record Sighting(long leaderId, long nanos) {
    }

    /**
     * Puts {@code <prefix><n>} = {@code value-<n>} for n = 0, 1, ..., one after the other, each until acknowledged,
     * spreading the puts round-robin over the running members; a put that fails goes to the next member.
     */
    private static final class Writer implements AutoCloseable {

        private final List<Member> members;
        private final Thread thread;
        private final Queue<Ack> acks = new ConcurrentLinkedQueue<>();
        private final AtomicInteger ackCount = new AtomicInteger();
        private final Map<Code, AtomicInteger> failures = new ConcurrentHashMap<>();
        private final Map<Code, String> lastFailure = new ConcurrentHashMap<>();
        private final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
        private final AtomicReference<Throwable> crash = new AtomicReference<>();
        private volatile boolean stopping;
        private int cursor;

        Writer(Cluster cluster) {
            this.members = cluster.members();
            this.thread = Thread.ofPlatform().name("leader-failover-writer").daemon().unstarted(this::run);
        }

        void start() {
            thread.start();
        }

        private void run() {
            try {
                for (int n = 0; !stopping; n++) {
                    String key = PREFIX + "%07d".formatted(n);
                    String value = "value-" + n;
                    while (!stopping && !tryPut(key, value)) {
                        // a failed put goes to the next member; a short pause keeps a cluster without a leader
                        // from being flooded (the pause synchronises nothing: the put is simply retried)
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                    }
                }
            } catch (Throwable t) {
                crash.set(t);
            }
        }

        private boolean tryPut(String key, String value) {
            Optional<Member> target = nextRunning();
            if (target.isEmpty()) {
                return false;
            }
            long sent = System.nanoTime();
            try {
                PutResponse response = put(target.get(), key, value);
                acks.add(new Ack(key, value, response.getHeader().getRevision(), sent, System.nanoTime(),
                        target.get().name()));
                ackCount.incrementAndGet();
                return true;
            } catch (StatusRuntimeException e) {
                Code code = e.getStatus().getCode();
                failures.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
                lastFailure.put(code, target.get().name() + ": " + e.getStatus().getDescription());
                // A status with an I/O cause was made by grpc-java for a lost connection (a killed member can
                // surface as UNKNOWN "channel closed"); any other status came from the server.
                boolean connectionLost = e.getCause() instanceof IOException;
                if (code != Code.UNAVAILABLE && code != Code.DEADLINE_EXCEEDED && !connectionLost) {
                    unexpected.add(key + " on " + target.get().name() + ": " + e.getStatus());
                }
                return false;
            }
        }

        private Optional<Member> nextRunning() {
            for (int i = 0; i < members.size(); i++) {
                Member member = members.get(Math.floorMod(cursor++, members.size()));
                if (member.isRunning()) {
                    return Optional.of(member);
                }
            }
            return Optional.empty();
        }

        int ackCount() {
            return ackCount.get();
        }

        /** Waits until {@code count} puts sent after {@code sentAfter} (a nanoTime) are acknowledged; the first. */
        Ack awaitAcks(String what, int count, long sentAfter, Cluster cluster) {
            return Await.until(what, WRITES_TIMEOUT, () -> {
                if (crash.get() != null) {
                    throw new Await.Abort("the writer crashed", crash.get());
                }
                List<Ack> after = acks.stream().filter(ack -> ack.sentNanos() - sentAfter > 0).toList();
                return after.size() >= count ? Optional.of(after.getFirst()) : Optional.empty();
            }, () -> summary() + "\n" + cluster.logTails(Cluster.LOG_TAIL_LINES));
        }

        List<Ack> acks() {
            return List.copyOf(acks);
        }

        List<String> unexpectedFailures() {
            return List.copyOf(unexpected);
        }

        String summary() {
            Map<Code, Integer> byCode = new EnumMap<>(Code.class);
            failures.forEach((code, n) -> byCode.put(code, n.get()));
            return "writer: " + ackCount.get() + " acknowledged puts, failed attempts " + byCode
                    + (lastFailure.isEmpty() ? "" : " (last of each: " + new EnumMap<>(lastFailure) + ")")
                    + (unexpected.isEmpty() ? "" : ", unexpected: " + unexpected);
        }

        /** Stops the writer; the put in flight (if any) ends within its deadline. */
        @Override
        public void close() {
            stopping = true;
            try {
                thread.join(Duration.ofMillis(PUT_DEADLINE_MS + 10_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                throw new IllegalStateException("the writer did not stop: " + summary());
            }
            if (crash.get() != null) {
                throw new IllegalStateException("the writer crashed", crash.get());
            }
        }
    }

    /**
     * One poller per survivor: Maintenance.Status every 50 ms (each call with a 500 ms deadline) until the member
     * names a leader other than the killed one, recording when that response arrived.
     */
    private static final class LeaderWatch implements AutoCloseable {

        private final List<Member> survivors;
        private final long killedId;
        private final Map<Member, Sighting> sightings = new ConcurrentHashMap<>();
        private final Map<Member, String> lastFailures = new ConcurrentHashMap<>();
        private final List<Thread> pollers = new ArrayList<>();
        private volatile boolean closed;

        LeaderWatch(List<Member> survivors, long killedId) {
            this.survivors = survivors;
            this.killedId = killedId;
        }

        void start(long from) {
            for (Member member : survivors) {
                pollers.add(Thread.ofPlatform().name("leader-watch-" + member.name()).daemon()
                        .start(() -> poll(member, from)));
            }
        }

        private void poll(Member member, long from) {
            long deadline = from + ELECTION_WATCH.toNanos();
            while (!closed && System.nanoTime() - deadline < 0) {
                long probe = System.nanoTime();
                try {
                    StatusResponse status = MaintenanceGrpc.newBlockingStub(member.channel())
                            .withDeadlineAfter(STATUS_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .status(StatusRequest.getDefaultInstance());
                    if (status.getLeader() != 0 && status.getLeader() != killedId) {
                        sightings.put(member, new Sighting(status.getLeader(), System.nanoTime()));
                        return;
                    }
                } catch (StatusRuntimeException e) {
                    lastFailures.put(member, e.getStatus().toString());
                }
                LockSupport.parkNanos(probe + STATUS_POLL_INTERVAL.toNanos() - System.nanoTime());
            }
        }

        /** Waits until every poller has seen a new leader or given up; returns the sightings. */
        Map<Member, Sighting> await() {
            for (Thread poller : pollers) {
                try {
                    poller.join(ELECTION_WATCH.plusSeconds(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return Map.copyOf(sightings);
        }

        Map<Member, String> lastFailures() {
            return Map.copyOf(lastFailures);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
