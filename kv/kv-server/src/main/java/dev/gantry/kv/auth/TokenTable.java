package dev.gantry.kv.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.raft.RequestAuth;

/**
 * The auth tokens this member accepts, in memory: etcd's "simple" tokens. Authenticate issues a token through Raft,
 * so every member learns it as it applies the entry (a client may take its token to any member); a member that
 * restarts forgets them all, and clients authenticate again when told {@code invalid auth token}. A token lives
 * for {@link #TTL} after its last use, on each member separately. Only SHA-256 digests are kept.
 *
 * <p>The table also holds the auth revision as of the last entry it heard of, and hands it out with each lookup:
 * the apply thread revokes tokens and moves the revision on in one step, so a token looked up before a change
 * carries the old revision, and a request made with it is refused at apply time as stale and looked up again.
 */
public final class TokenTable {
    /** etcd's {@code --auth-token-ttl} default. */
    public static final Duration TTL = Duration.ofMinutes(5);

    private record Entry(String user, long expiresAt) {
    }

    private final Map<ByteString, Entry> tokens = new HashMap<>();
    private final long ttlNanos;
    private final LongSupplier clock;
    private long revision;

    public TokenTable(long authRevision) {
        this(authRevision, TTL, System::nanoTime);
    }

    TokenTable(long authRevision, Duration ttl, LongSupplier clock) {
        this.revision = authRevision;
        this.ttlNanos = ttl.toNanos();
        this.clock = clock;
    }

    /** The user a token was issued to, with the auth revision of now; empty if it is unknown or expired. */
    public Optional<RequestAuth> lookup(String token) {
        ByteString digest = sha256(token);
        long now = clock.getAsLong();
        synchronized (this) {
            Entry entry = tokens.get(digest);
            if (entry == null) {
                return Optional.empty();
            }
            if (now - entry.expiresAt() > 0) {
                tokens.remove(digest);
                return Optional.empty();
            }
            tokens.put(digest, new Entry(entry.user(), now + ttlNanos)); // each use extends it, as etcd's
            return Optional.of(RequestAuth.newBuilder().setUser(entry.user()).setRevision(revision).build());
        }
    }

    /** The auth revision as of the last applied entry. */
    public synchronized long revision() {
        return revision;
    }

    /** What an applied entry did; {@code authRevision} is the store's auth revision after it. */
    public void apply(List<TokenChange> changes, long authRevision) {
        long now = clock.getAsLong();
        synchronized (this) {
            for (TokenChange change : changes) {
                switch (change.kind()) {
                    case ISSUED -> tokens.put(change.tokenSha256(), new Entry(change.user(), now + ttlNanos));
                    case USER_REVOKED -> tokens.values().removeIf(entry -> entry.user().equals(change.user()));
                    case ALL_REVOKED -> tokens.clear();
                }
            }
            revision = authRevision;
        }
    }

    /** Forgets every token (the store was replaced by a snapshot). */
    public synchronized void reset(long authRevision) {
        tokens.clear();
        revision = authRevision;
    }

    /** Drops the tokens whose TTL ran out (lookups ignore them anyway; this frees their memory). */
    public void expire() {
        long now = clock.getAsLong();
        synchronized (this) {
            tokens.values().removeIf(entry -> now - entry.expiresAt() > 0);
        }
    }

    synchronized int size() {
        return tokens.size();
    }

    public static ByteString sha256(String token) {
        try {
            return ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
