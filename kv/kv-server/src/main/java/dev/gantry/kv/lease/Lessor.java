package dev.gantry.kv.lease;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Lease expiry, in memory, as etcd's lessor: every member knows every lease (maintained from applied grants
 * and revokes), but only the primary — the Raft leader — runs expiry clocks. Keep-alives renew a lease here
 * without touching the Raft log; an expired lease is revoked by the leader proposing a revoke.
 *
 * <p>On promotion every lease gets its full TTL plus the election timeout from now: a new leader cannot
 * know when its predecessor last renewed a lease, so it must not expire one before its holder could
 * expect, whatever happened during the election (leases are a minimum lifetime, as in etcd).
 */
public final class Lessor {
    private static final long NEVER = Long.MAX_VALUE;

    private static final class Lease {
        final long id;
        final long ttlSeconds;
        volatile long expiresAtNanos;
        /** When the revoke of this expired lease was last proposed (0: never): so it is not proposed every tick. */
        volatile long revokeProposedAtNanos;

        Lease(long id, long ttlSeconds, long expiresAtNanos) {
            this.id = id;
            this.ttlSeconds = ttlSeconds;
            this.expiresAtNanos = expiresAtNanos;
        }
    }

    private final Map<Long, Lease> leases = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private volatile boolean primary;

    public Lessor(LongSupplier nanoClock) {
        this.clock = nanoClock;
    }

    public Lessor() {
        this(System::nanoTime);
    }

    // ---- fed by the state machine ----

    /** A lease granted by an applied entry (or loaded from the store): its clock runs if this member leads. */
    public void granted(long id, long ttlSeconds) {
        leases.put(id, new Lease(id, ttlSeconds, primary ? clock.getAsLong() + seconds(ttlSeconds) : NEVER));
    }

    public void revoked(long id) {
        leases.remove(id);
    }

    /** Replaces every lease (after the store was restored from a snapshot). */
    public synchronized void reset(Map<Long, Long> ttlById) {
        leases.clear();
        ttlById.forEach(this::granted);
    }

    // ---- leadership ----

    /** This member became the leader: every lease expires no earlier than its full TTL plus {@code extensionNanos}. */
    public synchronized void promote(long extensionNanos) {
        primary = true;
        long now = clock.getAsLong();
        for (Lease lease : leases.values()) {
            lease.expiresAtNanos = now + seconds(lease.ttlSeconds) + extensionNanos;
            lease.revokeProposedAtNanos = 0;
        }
    }

    /** This member no longer leads: no lease expires here. */
    public synchronized void demote() {
        primary = false;
        for (Lease lease : leases.values()) {
            lease.expiresAtNanos = NEVER;
        }
    }

    public boolean isPrimary() {
        return primary;
    }

    // ---- the API ----

    /**
     * Renews a lease on the primary; returns its TTL, or 0 if there is no such lease (etcd's answer). A lease whose
     * TTL has run out is not brought back: its revoke is proposed or about to be, and would delete its keys right
     * after the keep-alive was answered (etcd's lessor waits for that revoke and then answers "not found"; the
     * reliability suite's lease check caught the resurrection).
     */
    public long renew(long id) {
        Lease lease = leases.get(id);
        if (lease == null) {
            return 0;
        }
        if (primary) {
            long now = clock.getAsLong();
            if (lease.expiresAtNanos - now <= 0) {
                return 0;
            }
            lease.expiresAtNanos = now + seconds(lease.ttlSeconds);
        }
        return lease.ttlSeconds;
    }

    /** Remaining seconds (truncated, as etcd), the full TTL when this member does not run clocks, or -1 if unknown. */
    public long remainingSeconds(long id) {
        Lease lease = leases.get(id);
        if (lease == null) {
            return -1;
        }
        if (lease.expiresAtNanos == NEVER) {
            return lease.ttlSeconds;
        }
        return Math.max(0, (lease.expiresAtNanos - clock.getAsLong()) / 1_000_000_000L);
    }

    /** Granted TTL, or -1 if unknown. */
    public long grantedTtl(long id) {
        Lease lease = leases.get(id);
        return lease == null ? -1 : lease.ttlSeconds;
    }

    /**
     * Leases past their expiry whose revoke is not already under way (or was proposed more than
     * {@code retryNanos} ago without taking effect), at most {@code max}; marks them as being revoked.
     */
    public List<Long> expired(int max, long retryNanos) {
        List<Long> expired = new ArrayList<>();
        if (!primary) {
            return expired;
        }
        long now = clock.getAsLong();
        for (Lease lease : leases.values()) {
            if (expired.size() >= max) {
                break;
            }
            if (lease.expiresAtNanos - now <= 0
                    && (lease.revokeProposedAtNanos == 0 || now - lease.revokeProposedAtNanos > retryNanos)) {
                lease.revokeProposedAtNanos = now;
                expired.add(lease.id);
            }
        }
        return expired;
    }

    /** Seconds as nanoseconds, capped at a century so that deadlines never overflow (etcd allows TTLs of 285 years). */
    private static long seconds(long s) {
        return Math.min(s, 100L * 365 * 24 * 3600) * 1_000_000_000L;
    }
}
