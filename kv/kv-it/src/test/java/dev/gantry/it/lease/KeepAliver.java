package dev.gantry.it.lease;

import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseKeepAliveRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps leases alive as etcd's clients do: over one gRPC LeaseKeepAlive stream to one member, one request per lease
 * every {@code interval}, the stream opened again (at the next round) after it failed. Records every response.
 * Closing it stops the renewals: the stream is half-closed and nothing more is sent.
 *
 * <p>The interval paces the renewals, it synchronises nothing: tests wait for outcomes with deadlines.
 */
final class KeepAliver implements AutoCloseable {

    /** A keep-alive response: the lease, the TTL it reported (0: no such lease) and when it arrived. */
    record Ack(long id, long ttl, long nanos) {
    }

    private final Member member;
    private final List<Long> leases;
    private final Duration interval;
    private final Thread sender;
    private final Map<Long, Ack> lastAcks = new ConcurrentHashMap<>();
    private final AtomicLong acks = new AtomicLong();
    /** Longest time between two responses for the same lease. */
    private final AtomicLong longestGapNanos = new AtomicLong();
    private final Queue<String> streamFailures = new ConcurrentLinkedQueue<>();
    private final AtomicLong streamsOpened = new AtomicLong();
    private volatile long lastRoundNanos;
    private volatile long longestRoundGapNanos;
    private volatile boolean stopping;
    private volatile Throwable crash;

    private KeepAliver(Member member, Collection<Long> leases, Duration interval) {
        this.member = member;
        this.leases = List.copyOf(leases);
        this.interval = interval;
        this.sender = Thread.ofPlatform().daemon().name("keep-alive " + member.name()).unstarted(this::run);
    }

    /** Starts renewing {@code leases} on {@code member}, the first round at once. */
    static KeepAliver start(Member member, Collection<Long> leases, Duration interval) {
        KeepAliver keepAliver = new KeepAliver(member, leases, interval);
        keepAliver.sender.start();
        return keepAliver;
    }

    private void run() {
        Stream stream = null;
        try {
            long next = System.nanoTime();
            while (!stopping) {
                if (stream == null || stream.broken) {
                    stream = new Stream();
                }
                long round = System.nanoTime();
                if (lastRoundNanos != 0) {
                    longestRoundGapNanos = Math.max(longestRoundGapNanos, round - lastRoundNanos);
                }
                for (long id : leases) {
                    stream.requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
                }
                lastRoundNanos = round;
                next += interval.toNanos();
                while (!stopping && next - System.nanoTime() > 0) {
                    LockSupport.parkNanos(next - System.nanoTime());
                }
            }
        } catch (Throwable t) {
            crash = t;
        } finally {
            if (stream != null && !stream.broken) {
                try {
                    stream.requests.onCompleted();
                } catch (RuntimeException e) {
                    // the stream failed meanwhile: nothing to close
                }
            }
        }
    }

    /** One LeaseKeepAlive call; {@code broken} once the server ended it or it failed. */
    private final class Stream implements StreamObserver<LeaseKeepAliveResponse> {
        final StreamObserver<LeaseKeepAliveRequest> requests;
        volatile boolean broken;

        Stream() {
            streamsOpened.incrementAndGet();
            requests = LeaseGrpc.newStub(member.channel()).leaseKeepAlive(this);
        }

        @Override
        public void onNext(LeaseKeepAliveResponse response) {
            long now = System.nanoTime();
            Ack previous = lastAcks.put(response.getID(), new Ack(response.getID(), response.getTTL(), now));
            if (previous != null) {
                longestGapNanos.accumulateAndGet(now - previous.nanos(), Math::max);
            }
            acks.incrementAndGet();
        }

        @Override
        public void onError(Throwable error) {
            streamFailures.add(Status.fromThrowable(error).toString());
            broken = true;
        }

        @Override
        public void onCompleted() {
            if (!stopping) {
                streamFailures.add("completed by the server");
            }
            broken = true;
        }
    }

    /** The last response for the lease, if any came. */
    Optional<Ack> lastAck(long id) {
        return Optional.ofNullable(lastAcks.get(id));
    }

    Map<Long, Ack> lastAcks() {
        return Map.copyOf(lastAcks);
    }

    long ackCount() {
        return acks.get();
    }

    /** When the last round of requests started being sent ({@link System#nanoTime()}). */
    long lastRoundNanos() {
        return lastRoundNanos;
    }

    Duration longestGapBetweenAcks() {
        return Duration.ofNanos(longestGapNanos.get());
    }

    Duration longestGapBetweenRounds() {
        return Duration.ofNanos(longestRoundGapNanos);
    }

    List<String> streamFailures() {
        return List.copyOf(streamFailures);
    }

    String summary() {
        return "keep-alives to " + member + ": " + acks.get() + " responses on " + streamsOpened.get()
                + " stream(s), longest gap between rounds " + longestGapBetweenRounds().toMillis()
                + " ms, between responses for one lease " + longestGapBetweenAcks().toMillis() + " ms, stream failures "
                + streamFailures;
    }

    /** Stops the renewals and half-closes the stream; returns once nothing more will be sent. */
    @Override
    public void close() {
        stopping = true;
        LockSupport.unpark(sender);
        try {
            sender.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (sender.isAlive()) {
            throw new IllegalStateException("the keep-alive sender did not stop: " + summary());
        }
        if (crash != null) {
            throw new IllegalStateException("the keep-alive sender crashed: " + summary(), crash);
        }
    }
}
