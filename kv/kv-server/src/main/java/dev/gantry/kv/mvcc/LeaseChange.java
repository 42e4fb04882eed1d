package dev.gantry.kv.mvcc;

/** A lease granted (with its TTL in seconds) or revoked ({@link #REVOKED}) by an applied command. */
public record LeaseChange(long leaseId, long ttl) {
    public static final long REVOKED = -1;

    public boolean revoked() {
        return ttl == REVOKED;
    }
}
