package dev.gantry.reliability.history;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One lease's life as its client saw it: granted (TTL in seconds as the server granted it), renewed by keep-alives,
 * perhaps revoked, and the reads of its keys. All times are System.nanoTime() of the test JVM.
 */
public final class LeaseLog {

    /** A read of one of the lease's keys: present or absent, between invoke and complete. */
    public record Observation(String key, long invokeNanos, long completeNanos, boolean present) {
    }

    private final long id;
    private final long ttlSeconds;
    /** The lease is alive at least until this: max over acknowledged keep-alives of (sent + TTL). */
    private long renewedUntilNanos;
    private long revokeInvokeNanos = Long.MAX_VALUE;
    /** When the put of each key attached to the lease was acknowledged. */
    private final Map<String, Long> keyPutNanos = new HashMap<>();
    private final List<Observation> observations = new ArrayList<>();
    private int keepAlives;

    public LeaseLog(long id, long ttlSeconds, long grantInvokeNanos) {
        this.id = id;
        this.ttlSeconds = ttlSeconds;
        this.renewedUntilNanos = grantInvokeNanos + ttlSeconds * 1_000_000_000L;
    }

    /** A keep-alive sent at {@code sentNanos} was answered with this TTL (0 or less: the lease was gone). */
    public synchronized void keptAlive(long sentNanos, long ttl) {
        if (ttl > 0) {
            keepAlives++;
            renewedUntilNanos = Math.max(renewedUntilNanos, sentNanos + ttl * 1_000_000_000L);
        }
    }

    /** A key attached to the lease was acknowledged at {@code completeNanos}. */
    public synchronized void keyPut(String key, long completeNanos) {
        keyPutNanos.putIfAbsent(key, completeNanos);
    }

    public synchronized void revoking(long invokeNanos) {
        revokeInvokeNanos = Math.min(revokeInvokeNanos, invokeNanos);
    }

    public synchronized void observed(Observation observation) {
        observations.add(observation);
    }

    public long id() {
        return id;
    }

    public long ttlSeconds() {
        return ttlSeconds;
    }

    public synchronized long renewedUntilNanos() {
        return renewedUntilNanos;
    }

    public synchronized long revokeInvokeNanos() {
        return revokeInvokeNanos;
    }

    public synchronized int keepAlives() {
        return keepAlives;
    }

    public synchronized List<Observation> observations() {
        return List.copyOf(observations);
    }

    /** When the put of {@code key} was acknowledged, or empty if it never was. */
    public synchronized OptionalLong keyPutNanos(String key) {
        Long nanos = keyPutNanos.get(key);
        return nanos == null ? OptionalLong.empty() : OptionalLong.of(nanos);
    }
}
