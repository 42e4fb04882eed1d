package dev.gantry.kv.client;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseKeepAliveRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveResponse;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;

/**
 * Keeps one lease alive over one LeaseKeepAlive stream, renewing every third of its TTL. The lease counts as
 * lost when the server says it expired, or when no renewal was answered within a TTL of the last answered one
 * being sent: from then on the server may have expired it, so its holder must act as if it had.
 */
public final class KeepAlive implements AutoCloseable {
    private static final long TICK_MS = 100;

    private final KvClient client;
    private final long leaseId;
    private final Consumer<String> onLost;
    private volatile long ttlNanos;
    /** When the last renewal that was answered had been sent: the lease lives at least a TTL past it. */
    private volatile long renewedSentAt;
    private volatile long lastSentAt;
    private volatile long pendingSentAt;
    private volatile boolean done;
    private StreamObserver<LeaseKeepAliveRequest> stream;
    private ManagedChannel streamChannel;
    private ScheduledFuture<?> ticks;
    private int failures;

    KeepAlive(KvClient client, long leaseId, Consumer<String> onLost) {
        this.client = client;
        this.leaseId = leaseId;
        this.onLost = onLost;
    }

    void start() {
        long now = System.nanoTime();
        long ttl = client.call("lease time-to-live", channel -> KvClient.withDeadline(LeaseGrpc.newBlockingStub(channel))
                .leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(leaseId).build())).getGrantedTTL();
        if (ttl <= 0) {
            lost("lease " + Long.toHexString(leaseId) + " does not exist");
            return;
        }
        ttlNanos = TimeUnit.SECONDS.toNanos(ttl);
        renewedSentAt = now;
        ticks = client.timers().scheduleWithFixedDelay(this::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
    }

    public long leaseId() {
        return leaseId;
    }

    public boolean isLost() {
        return done;
    }

    private synchronized void tick() {
        if (done) {
            return;
        }
        long now = System.nanoTime();
        if (now - renewedSentAt > ttlNanos) {
            lost("lease " + Long.toHexString(leaseId) + " not renewed within its TTL of "
                    + TimeUnit.NANOSECONDS.toSeconds(ttlNanos) + " s (members unreachable?)");
            return;
        }
        if (now - lastSentAt < ttlNanos / 3) {
            return;
        }
        if (stream == null) {
            open();
        }
        try {
            lastSentAt = now;
            if (pendingSentAt == 0) {
                pendingSentAt = now;
            }
            stream.onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
        } catch (RuntimeException e) {
            streamFailed(streamChannel);
        }
    }

    private void open() {
        ManagedChannel channel = client.channel();
        streamChannel = channel;
        stream = LeaseGrpc.newStub(channel).leaseKeepAlive(new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse response) {
                answered(response);
            }

            @Override
            public void onError(Throwable error) {
                streamFailed(channel);
            }

            @Override
            public void onCompleted() {
                streamFailed(channel);
            }
        });
    }

    private synchronized void answered(LeaseKeepAliveResponse response) {
        if (done) {
            return;
        }
        if (response.getTTL() <= 0) {
            lost("lease " + Long.toHexString(leaseId) + " expired");
            return;
        }
        failures = 0;
        ttlNanos = TimeUnit.SECONDS.toNanos(response.getTTL());
        if (pendingSentAt != 0) {
            renewedSentAt = pendingSentAt;
            pendingSentAt = 0;
        }
    }

    /** The stream broke: the next tick opens one on the next member, after a backoff. */
    private synchronized void streamFailed(ManagedChannel channel) {
        if (channel != streamChannel || done) {
            return;
        }
        client.failed(channel);
        stream = null;
        streamChannel = null;
        pendingSentAt = 0;
        lastSentAt = System.nanoTime() - ttlNanos / 3 + TimeUnit.MILLISECONDS.toNanos(KvClient.backoffMillis(++failures));
    }

    private void lost(String why) {
        if (done) {
            return;
        }
        close();
        onLost.accept(why);
    }

    /** Stops renewing (the lease then expires after its TTL unless revoked). */
    @Override
    public synchronized void close() {
        done = true;
        if (ticks != null) {
            ticks.cancel(false);
        }
        if (stream != null) {
            try {
                stream.onCompleted();
            } catch (RuntimeException ignored) {
                // already broken
            }
            stream = null;
        }
    }
}
