package dev.gantry.kv.mvcc;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;

import dev.gantry.kv.api.auth.Role;
import dev.gantry.kv.api.auth.User;
import dev.gantry.kv.api.etcd.AlarmMember;
import dev.gantry.kv.api.etcd.AlarmResponse;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.api.mvcc.KeyValue;
import dev.gantry.kv.api.raft.LeaseRecord;
import dev.gantry.kv.api.raft.MemberSet;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Transaction;

/**
 * The store as seen inside one Xodus transaction: reads at the latest or at a past revision, and — inside an
 * applied Raft entry — writes. Each state-changing command gets the next revision; its individual changes
 * are numbered by a sub-revision, as etcd's {@code Revision{Main, Sub}}. Reads within a command see the
 * command's own earlier writes, as reads inside an etcd txn do.
 */
public final class MvccView {
    private static final byte PUT = 'P';
    private static final byte TOMBSTONE = 'D';
    private static final ByteIterable EMPTY = new ArrayByteIterable(new byte[0]);

    private final MvccStore store;
    private final Transaction txn;
    private long revision;
    private long compactRevision;
    /** The member set this write transaction wrote, if any: the store caches it once committed. */
    MemberSet changedMembers;
    private boolean changed;
    private int sub;
    /** What this write view changed, in order: for the watchers and the lessor once the entry commits. */
    private final List<Event> events = new ArrayList<>();
    private final List<LeaseChange> leaseChanges = new ArrayList<>();

    MvccView(MvccStore store, Transaction txn, long revision, long compactRevision) {
        this.store = store;
        this.txn = txn;
        this.revision = revision;
        this.compactRevision = compactRevision;
    }

    /** The revision of the last completed command. */
    public long revision() {
        return revision;
    }

    /** The revision reads see: the one being written if the current command changed anything. */
    public long readRevision() {
        return changed ? revision + 1 : revision;
    }

    public long compactRevision() {
        return compactRevision;
    }

    // ---- reads ----

    public KeyValue get(byte[] key) {
        ByteIterable v = store.keys().get(txn, new ArrayByteIterable(key));
        return v == null ? null : parse(v, 0);
    }

    /**
     * A CRC-32C of the key space's history up to {@code rev} (0: latest): every version and deletion of every
     * key at or below it that compaction kept. Compaction and every write go through Raft, so members that
     * have applied {@code rev} agree on it: a consistency check (etcd's HashKV).
     */
    public int hashKv(long rev) {
        checkReadable(rev);
        long upTo = rev <= 0 ? readRevision() : rev;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        try (Cursor c = store.history().openCursor(txn)) {
            while (c.getNext()) {
                byte[] k = bytes(c.getKey());
                if (HistoryKey.revision(k, k.length) <= upTo) {
                    crc.update(k);
                    crc.update(bytes(c.getValue()));
                }
            }
        }
        return (int) crc.getValue();
    }

    /** The number of live keys. */
    public long keyCount() {
        return store.keys().count(txn);
    }

    /** Member attributes published through Raft (name, client URLs), by member ID. */
    public MemberSet members() {
        ByteIterable v = store.meta().get(txn, MvccStore.MEMBERS);
        try {
            return v == null ? MemberSet.getDefaultInstance() : MemberSet.parseFrom(bytes(v));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt member set in the store", e);
        }
    }

    public void setMembers(MemberSet members) {
        store.meta().put(txn, MvccStore.MEMBERS, new ArrayByteIterable(members.toByteArray()));
        changedMembers = members;
    }

    /**
     * The active alarms, ordered by type and member ID (etcd's alarm store). Stored in the meta store as an
     * {@code AlarmResponse} without header: a list of {@code AlarmMember}.
     */
    public List<AlarmMember> alarms() {
        ByteIterable v = store.meta().get(txn, MvccStore.ALARMS);
        try {
            return v == null ? List.of() : AlarmResponse.parseFrom(bytes(v)).getAlarmsList();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt alarm list in the store", e);
        }
    }

    public void setAlarms(List<AlarmMember> alarms) {
        List<AlarmMember> sorted = new ArrayList<>(alarms);
        sorted.sort(Comparator.comparingInt(AlarmMember::getAlarmValue)
                .thenComparing(AlarmMember::getMemberID, Long::compareUnsigned));
        store.meta().put(txn, MvccStore.ALARMS,
                new ArrayByteIterable(AlarmResponse.newBuilder().addAllAlarms(sorted).build().toByteArray()));
    }

    // ---- auth (etcd's auth store), in the meta store: replicated, dumped and restored with everything else ----

    public boolean authEnabled() {
        return store.metaLong(txn, MvccStore.AUTH_ENABLED) == 1;
    }

    public void setAuthEnabled(boolean enabled) {
        store.putMeta(txn, MvccStore.AUTH_ENABLED, enabled ? 1 : 0);
    }

    /** etcd's auth revision: 1 while auth was never changed, one more with every change of users, roles or enabling. */
    public long authRevision() {
        return Math.max(1, store.metaLong(txn, MvccStore.AUTH_REVISION));
    }

    public void bumpAuthRevision() {
        store.putMeta(txn, MvccStore.AUTH_REVISION, authRevision() + 1);
    }

    /** The user of this name, or null. */
    public User user(String name) {
        return record(MvccStore.AUTH_USER_PREFIX + name, User.parser());
    }

    /** Every user, by name (byte order, as etcd lists them). */
    public List<User> users() {
        return records(MvccStore.AUTH_USER_PREFIX, User.parser());
    }

    public void putUser(User user) {
        putRecord(MvccStore.AUTH_USER_PREFIX + user.getName().toStringUtf8(), user.toByteArray());
    }

    public void deleteUser(String name) {
        store.meta().delete(txn, authKey(MvccStore.AUTH_USER_PREFIX + name));
    }

    /** The role of this name, or null. */
    public Role role(String name) {
        return record(MvccStore.AUTH_ROLE_PREFIX + name, Role.parser());
    }

    /** Every role, by name. */
    public List<Role> roles() {
        return records(MvccStore.AUTH_ROLE_PREFIX, Role.parser());
    }

    public void putRole(Role role) {
        putRecord(MvccStore.AUTH_ROLE_PREFIX + role.getName().toStringUtf8(), role.toByteArray());
    }

    public void deleteRole(String name) {
        store.meta().delete(txn, authKey(MvccStore.AUTH_ROLE_PREFIX + name));
    }

    private <T> T record(String key, Parser<T> parser) {
        ByteIterable v = store.meta().get(txn, authKey(key));
        try {
            return v == null ? null : parser.parseFrom(bytes(v));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt auth record " + key + " in the store", e);
        }
    }

    private <T> List<T> records(String prefix, Parser<T> parser) {
        List<T> found = new ArrayList<>();
        byte[] start = prefix.getBytes(StandardCharsets.UTF_8);
        try (Cursor c = store.meta().openCursor(txn)) {
            ByteIterable v = c.getSearchKeyRange(new ArrayByteIterable(start));
            while (v != null && startsWith(bytes(c.getKey()), start)) {
                try {
                    found.add(parser.parseFrom(bytes(v)));
                } catch (InvalidProtocolBufferException e) {
                    throw new IllegalStateException("corrupt auth record under " + prefix + " in the store", e);
                }
                v = c.getNext() ? c.getValue() : null;
            }
        }
        return found;
    }

    private void putRecord(String key, byte[] value) {
        store.meta().put(txn, authKey(key), new ArrayByteIterable(value));
    }

    private static ByteIterable authKey(String key) {
        return new ArrayByteIterable(key.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Whether the current command has written anything yet. */
    public boolean changedInCommand() {
        return changed;
    }

    public boolean leaseExists(long leaseId) {
        return leaseId != 0 && lease(leaseId) != null;
    }

    /** The lease with this ID, or null. */
    public LeaseRecord lease(long leaseId) {
        ByteIterable v = store.leases().get(txn, new ArrayByteIterable(LeaseKeys.record(leaseId)));
        try {
            return v == null ? null : LeaseRecord.parseFrom(bytes(v));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt lease record in the store", e);
        }
    }

    /** Every lease, in ID order (of their encoded form). */
    public List<LeaseRecord> leases() {
        List<LeaseRecord> leases = new ArrayList<>();
        try (Cursor c = store.leases().openCursor(txn)) {
            while (c.getNext()) {
                if (c.getKey().getLength() == LeaseKeys.RECORD_LENGTH) {
                    try {
                        leases.add(LeaseRecord.parseFrom(bytes(c.getValue())));
                    } catch (InvalidProtocolBufferException e) {
                        throw new IllegalStateException("corrupt lease record in the store", e);
                    }
                }
            }
        }
        return leases;
    }

    /** The keys attached to a lease, in key order. */
    public List<byte[]> leaseKeys(long leaseId) {
        List<byte[]> keys = new ArrayList<>();
        byte[] prefix = LeaseKeys.record(leaseId);
        try (Cursor c = store.leases().openCursor(txn)) {
            ByteIterable v = c.getSearchKeyRange(new ArrayByteIterable(prefix));
            while (v != null) {
                byte[] k = bytes(c.getKey());
                if (!LeaseKeys.isOf(k, leaseId)) {
                    break;
                }
                if (k.length > LeaseKeys.RECORD_LENGTH) {
                    keys.add(LeaseKeys.attachedKey(k));
                }
                v = c.getNext() ? c.getValue() : null;
            }
        }
        return keys;
    }

    /** Checks that {@code rev} (0 or negative: latest) can be read: not compacted away, not in the future. */
    public void checkReadable(long rev) {
        if (rev <= 0) {
            return;
        }
        if (rev < compactRevision) {
            throw EtcdError.COMPACTED.exception();
        }
        if (rev > readRevision()) {
            throw EtcdError.FUTURE_REV.exception();
        }
    }

    /**
     * The keys of {@code range} as of revision {@code rev} (0: latest) in key order; {@code count} is always
     * the number of keys in the range, but only the first {@code keep} versions are decoded and returned.
     */
    public RangeResult range(KeyRange range, long rev, int keep) {
        checkReadable(rev);
        if (rev <= 0 || rev >= readRevision()) {
            return latest(range, keep);
        }
        return historical(range, rev, keep);
    }

    private RangeResult latest(KeyRange range, int keep) {
        List<KeyValue> kvs = new ArrayList<>();
        if (range.isSingleKey()) {
            KeyValue kv = get(range.key());
            if (kv == null) {
                return new RangeResult(kvs, 0);
            }
            if (keep > 0) {
                kvs.add(kv);
            }
            return new RangeResult(kvs, 1);
        }
        long count = 0;
        try (Cursor c = store.keys().openCursor(txn)) {
            ByteIterable v = c.getSearchKeyRange(new ArrayByteIterable(range.key()));
            while (v != null) {
                ByteIterable k = c.getKey();
                if (range.isAfter(bytes(k))) {
                    break;
                }
                if (count++ < keep) {
                    kvs.add(parse(v, 0));
                }
                v = c.getNext() ? c.getValue() : null;
            }
        }
        return new RangeResult(kvs, count);
    }

    private RangeResult historical(KeyRange range, long rev, int keep) {
        List<KeyValue> kvs = new ArrayList<>();
        long count = 0;
        try (Cursor c = store.history().openCursor(txn)) {
            ByteIterable v = c.getSearchKeyRange(new ArrayByteIterable(HistoryKey.lowerBound(range.key())));
            byte[] groupKey = null;
            byte[] best = null;
            while (v != null) {
                byte[] encoded = bytes(c.getKey());
                if (groupKey == null || !HistoryKey.sameKey(groupKey, groupKey.length, encoded, encoded.length)) {
                    if (best != null && best[0] == PUT && count++ < keep) {
                        kvs.add(parse(new ArrayByteIterable(best), 1));
                    }
                    best = null;
                    groupKey = encoded;
                    if (range.isAfter(HistoryKey.key(encoded, encoded.length))) {
                        groupKey = null;
                        break;
                    }
                }
                if (HistoryKey.revision(encoded, encoded.length) <= rev) {
                    best = bytes(v);
                }
                v = c.getNext() ? c.getValue() : null;
            }
            if (groupKey != null && best != null && best[0] == PUT && count++ < keep) {
                kvs.add(parse(new ArrayByteIterable(best), 1));
            }
        }
        return new RangeResult(kvs, count);
    }

    // ---- writes (only inside MvccStore.write) ----

    /** Starts a command: its changes, if any, share the next revision. */
    public void beginCommand() {
        changed = false;
        sub = 0;
    }

    /** Ends a command; returns the store revision after it. */
    public long endCommand() {
        if (changed) {
            revision++;
            changed = false;
        }
        return revision;
    }

    /** Puts a key at the command's revision; returns the previous version, or null. */
    public KeyValue put(byte[] key, ByteString value, long lease) {
        long rev = revision + 1;
        KeyValue prev = get(key);
        KeyValue kv = KeyValue.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setCreateRevision(prev == null ? rev : prev.getCreateRevision())
                .setModRevision(rev)
                .setVersion(prev == null ? 1 : prev.getVersion() + 1)
                .setValue(value)
                .setLease(lease)
                .build();
        byte[] encoded = kv.toByteArray();
        store.keys().put(txn, new ArrayByteIterable(key), new ArrayByteIterable(encoded));
        byte[] versioned = new byte[encoded.length + 1];
        versioned[0] = PUT;
        System.arraycopy(encoded, 0, versioned, 1, encoded.length);
        recordChange(key, rev, versioned);
        long prevLease = prev == null ? 0 : prev.getLease();
        if (prevLease != lease) {
            if (prevLease != 0) {
                store.leases().delete(txn, new ArrayByteIterable(LeaseKeys.attachment(prevLease, key)));
            }
            if (lease != 0) {
                store.leases().put(txn, new ArrayByteIterable(LeaseKeys.attachment(lease, key)), EMPTY);
            }
        }
        Event.Builder event = Event.newBuilder().setType(Event.EventType.PUT).setKv(kv);
        if (prev != null) {
            event.setPrevKv(prev);
        }
        events.add(event.build());
        return prev;
    }

    /** Deletes every key of the range at the command's revision; returns the deleted versions. */
    public List<KeyValue> delete(KeyRange range) {
        List<KeyValue> deleted = latest(range, Integer.MAX_VALUE).kvs();
        long rev = revision + 1;
        for (KeyValue kv : deleted) {
            deleteKey(kv, rev);
        }
        return deleted;
    }

    private void deleteKey(KeyValue kv, long rev) {
        byte[] key = kv.getKey().toByteArray();
        store.keys().delete(txn, new ArrayByteIterable(key));
        recordChange(key, rev, new byte[]{TOMBSTONE});
        if (kv.getLease() != 0) {
            store.leases().delete(txn, new ArrayByteIterable(LeaseKeys.attachment(kv.getLease(), key)));
        }
        events.add(Event.newBuilder()
                .setType(Event.EventType.DELETE)
                .setKv(KeyValue.newBuilder().setKey(kv.getKey()).setModRevision(rev))
                .setPrevKv(kv)
                .build());
    }

    /** Records a lease (granting does not change the key space, so it takes no revision). */
    public void grantLease(long leaseId, long ttl) {
        LeaseRecord lease = LeaseRecord.newBuilder().setId(leaseId).setTtl(ttl).build();
        store.leases().put(txn, new ArrayByteIterable(LeaseKeys.record(leaseId)), new ArrayByteIterable(lease.toByteArray()));
        leaseChanges.add(new LeaseChange(leaseId, ttl));
    }

    /** Deletes a lease and, in the command's one revision, every key attached to it. */
    public void revokeLease(long leaseId) {
        long rev = revision + 1;
        for (byte[] key : leaseKeys(leaseId)) {
            KeyValue kv = get(key);
            if (kv != null) {
                deleteKey(kv, rev); // also removes the attachment
            } else {
                store.leases().delete(txn, new ArrayByteIterable(LeaseKeys.attachment(leaseId, key)));
            }
        }
        store.leases().delete(txn, new ArrayByteIterable(LeaseKeys.record(leaseId)));
        leaseChanges.add(new LeaseChange(leaseId, LeaseChange.REVOKED));
    }

    /**
     * A value that no lease has yet, derived from a replicated counter so that every member picks the same;
     * spread over the positive longs, since clients print lease IDs in hex and may treat them as keys.
     */
    public long newLeaseId() {
        long seed = store.metaLong(txn, MvccStore.LEASE_SEED);
        long id;
        do {
            seed++;
            id = LeaseKeys.scramble(seed);
        } while (id == 0 || leaseExists(id));
        store.putMeta(txn, MvccStore.LEASE_SEED, seed);
        return id;
    }

    /** The changes made through this write view so far, as watch events in revision order. */
    public List<Event> events() {
        return events;
    }

    /** Leases granted and revoked through this write view so far, in order. */
    public List<LeaseChange> leaseChanges() {
        return leaseChanges;
    }

    // ---- the change log, for watchers catching up ----

    /**
     * The events of revisions {@code from} and later, in order, with each PUT's and DELETE's previous version
     * when history still has it. Stops after {@code maxRevisions} revisions or once {@code maxEvents} are
     * collected, but only between revisions: a revision's events are never split. Nothing is read if
     * {@code from} was compacted away.
     */
    public ChangeBatch changesSince(long from, int maxRevisions, int maxEvents) {
        if (from < compactRevision) {
            return new ChangeBatch(List.of(), from - 1, compactRevision);
        }
        List<Event> found = new ArrayList<>();
        long through = revision;
        try (Cursor c = store.changes().openCursor(txn);
             Cursor history = store.history().openCursor(txn)) {
            ByteIterable v = c.getSearchKeyRange(new ArrayByteIterable(changeKey(from, 0)));
            long last = from - 1;
            while (v != null) {
                long rev = changeRevision(bytes(c.getKey()));
                if (rev != last && (rev >= from + maxRevisions || found.size() >= maxEvents)) {
                    through = rev - 1;
                    break;
                }
                last = rev;
                found.add(changeEvent(history, bytes(v), rev));
                v = c.getNext() ? c.getValue() : null;
            }
        }
        return new ChangeBatch(found, through, compactRevision);
    }

    private Event changeEvent(Cursor history, byte[] key, long rev) {
        byte[] version = bytes(store.history().get(txn, new ArrayByteIterable(HistoryKey.encode(key, rev))));
        Event.Builder event = Event.newBuilder();
        if (version[0] == PUT) {
            event.setType(Event.EventType.PUT).setKv(parse(new ArrayByteIterable(version), 1));
        } else {
            event.setType(Event.EventType.DELETE)
                    .setKv(KeyValue.newBuilder().setKey(ByteString.copyFrom(key)).setModRevision(rev));
        }
        // the previous version: the history entry just before this one, if it is of the same key
        byte[] at = HistoryKey.encode(key, rev);
        if (history.getSearchKey(new ArrayByteIterable(at)) != null && history.getPrev()) {
            byte[] prevKey = bytes(history.getKey());
            byte[] prev = bytes(history.getValue());
            if (HistoryKey.sameKey(prevKey, prevKey.length, at, at.length) && prev[0] == PUT) {
                event.setPrevKv(parse(new ArrayByteIterable(prev), 1));
            }
        }
        return event.build();
    }


    private void recordChange(byte[] key, long rev, byte[] version) {
        store.history().put(txn, new ArrayByteIterable(HistoryKey.encode(key, rev)), new ArrayByteIterable(version));
        store.changes().put(txn, new ArrayByteIterable(changeKey(rev, sub++)), new ArrayByteIterable(key));
        changed = true;
    }

    /**
     * Compacts history at {@code rev}: afterwards reads below {@code rev} fail with ErrCompacted, reads at
     * {@code rev} or later still work. Keeps, per key, the newest version older than {@code rev} unless it is
     * a deletion (it is the state at {@code rev - 1}, needed for prev_kv of changes at {@code rev}).
     */
    public void compact(long rev) {
        if (rev <= compactRevision) {
            throw EtcdError.COMPACTED.exception();
        }
        if (rev > revision) {
            throw EtcdError.FUTURE_REV.exception();
        }
        List<byte[]> obsolete = new ArrayList<>();
        try (Cursor c = store.history().openCursor(txn)) {
            byte[] previous = null;
            boolean previousIsTombstone = false;
            while (c.getNext()) {
                byte[] encoded = bytes(c.getKey());
                long entryRev = HistoryKey.revision(encoded, encoded.length);
                boolean sameKey = previous != null && HistoryKey.sameKey(previous, previous.length, encoded, encoded.length);
                if (previous != null && (previousIsTombstone || sameKey && entryRev < rev)) {
                    obsolete.add(previous); // superseded before rev, or a deletion (absent = no entry)
                }
                if (entryRev < rev) {
                    previous = encoded;
                    previousIsTombstone = c.getValue().iterator().next() == TOMBSTONE;
                } else {
                    previous = null;
                }
            }
            if (previous != null && previousIsTombstone) {
                obsolete.add(previous);
            }
        }
        for (byte[] k : obsolete) {
            store.history().delete(txn, new ArrayByteIterable(k));
        }
        List<byte[]> oldChanges = new ArrayList<>();
        try (Cursor c = store.changes().openCursor(txn)) {
            while (c.getNext()) {
                byte[] k = bytes(c.getKey());
                if (changeRevision(k) >= rev) {
                    break;
                }
                oldChanges.add(k);
            }
        }
        for (byte[] k : oldChanges) {
            store.changes().delete(txn, new ArrayByteIterable(k));
        }
        compactRevision = rev;
    }

    // ---- encoding ----

    static byte[] changeKey(long rev, int sub) {
        byte[] k = new byte[12];
        for (int i = 0; i < 8; i++) {
            k[i] = (byte) (rev >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            k[8 + i] = (byte) (sub >>> (24 - 8 * i));
        }
        return k;
    }

    static long changeRevision(byte[] changeKey) {
        long rev = 0;
        for (int i = 0; i < 8; i++) {
            rev = (rev << 8) | (changeKey[i] & 0xFF);
        }
        return rev;
    }

    static byte[] bytes(ByteIterable it) {
        return Arrays.copyOf(it.getBytesUnsafe(), it.getLength());
    }

    private static KeyValue parse(ByteIterable v, int offset) {
        try {
            return KeyValue.parser().parseFrom(v.getBytesUnsafe(), offset, v.getLength() - offset);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt KeyValue in the store", e);
        }
    }
}
