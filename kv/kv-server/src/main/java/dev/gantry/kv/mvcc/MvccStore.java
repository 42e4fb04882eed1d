package dev.gantry.kv.mvcc;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.EnvironmentConfig;
import jetbrains.exodus.env.EnvironmentImpl;
import jetbrains.exodus.env.Environments;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.StoreConfig;
import jetbrains.exodus.env.Transaction;

import dev.gantry.kv.api.raft.MemberSet;
import dev.gantry.kv.metrics.Histogram;

/**
 * etcd's multi-version key-value store on one JetBrains Xodus environment.
 *
 * <p>Stores: {@code keys} (key → current {@code KeyValue}), {@code history} ({@link HistoryKey}(key, rev) →
 * version or tombstone, for reads at a revision), {@code changes} (rev ‖ sub → key, the revision-ordered
 * change log for watch catch-up), {@code leases} and {@code meta} (applied Raft index and term, current and
 * compacted revision, members, alarms, auth).
 *
 * <p>Writes happen only on the Raft apply thread, one Xodus transaction per applied Raft entry, and that
 * transaction also records the applied index: a restart re-applies only entries after it, so replay is
 * idempotent. Xodus runs non-durable (the Raft log is the write-ahead log); {@link #sync()} makes it
 * durable before Raft may purge its log behind a snapshot.
 */
public final class MvccStore implements AutoCloseable {
    static final String KEYS = "keys";
    static final String HISTORY = "history";
    static final String CHANGES = "changes";
    static final String LEASES = "leases";
    static final String META = "meta";
    private static final List<String> STORES = List.of(KEYS, HISTORY, CHANGES, LEASES, META);
    /** Beside the live directory: where a replacement is built, and where the replaced one goes while they swap. */
    private static final String STAGING = ".restore";
    private static final String OLD = ".old";

    static final ByteIterable APPLIED_INDEX = key("applied_index");
    static final ByteIterable APPLIED_TERM = key("applied_term");
    static final ByteIterable REVISION = key("revision");
    static final ByteIterable COMPACT_REVISION = key("compact_revision");
    static final ByteIterable MEMBERS = key("members");
    static final ByteIterable LEASE_SEED = key("lease_seed");
    static final ByteIterable ALARMS = key("alarms");
    /** Auth (etcd's auth bucket): the enabled flag, the auth revision, and one record per user and per role. */
    static final ByteIterable AUTH_ENABLED = key("auth_enabled");
    static final ByteIterable AUTH_REVISION = key("auth_revision");
    static final String AUTH_USER_PREFIX = "auth_user/";
    static final String AUTH_ROLE_PREFIX = "auth_role/";
    private static final String AUTH_PREFIX = "auth_";
    /** The meta a restored store keeps: the key space's own counters, and auth (users, roles, enabled, revision). */
    private static final Set<ByteIterable> SEEDED_META = Set.of(REVISION, COMPACT_REVISION, LEASE_SEED);
    /** A dumped record is one key or one value, each far below this (a request is at most --max-request-bytes). */
    private static final int MAX_RECORD_BYTES = 512 << 20;

    private final Path dir;
    /** Held by readers; taken exclusively only while a restore or a defragmentation swaps the environment. */
    private final ReentrantReadWriteLock swap = new ReentrantReadWriteLock();
    /** Held by the writer (the Raft apply thread), and by a defragmentation while it copies and swaps. */
    private final ReentrantLock writes = new ReentrantLock();
    private volatile Environment env;
    private Store keys;
    private Store history;
    private Store changes;
    private Store leases;
    private Store meta;

    private volatile long revision;
    private volatile long compactRevision;
    private volatile long appliedIndex;
    private volatile long appliedTerm;
    /** The committed member set, cached: every gRPC call asks whether this member is a learner. */
    private volatile MemberSet members;
    /** How long each entry's commit takes (etcd's backend commit; etcd's buckets, 1 ms to 8 s). */
    private final Histogram commitDurations = Histogram.exponential(0.001, 2, 14);

    private MvccStore(Path dir) {
        this.dir = dir;
    }

    public static MvccStore open(Path dir) {
        MvccStore store = new MvccStore(dir);
        store.openEnvironment();
        return store;
    }

    private void openEnvironment() {
        try {
            Path old = sibling(OLD);
            if (!Files.exists(dir) && Files.exists(old)) {
                Files.move(old, dir); // a swap was interrupted before the new environment moved in: keep the old one
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the KV data directory " + dir, e);
        }
        EnvironmentConfig config = new EnvironmentConfig()
                .setLogDurableWrite(false)
                .setMemoryUsagePercentage(15)
                .setEnvCloseForcedly(true)
                .setManagementEnabled(false)
                .setGcFileMinAge(2);
        env = Environments.newInstance(dir.toFile(), config);
        env.executeInExclusiveTransaction(txn -> {
            keys = env.openStore(KEYS, StoreConfig.WITHOUT_DUPLICATES_WITH_PREFIXING, txn);
            history = env.openStore(HISTORY, StoreConfig.WITHOUT_DUPLICATES_WITH_PREFIXING, txn);
            changes = env.openStore(CHANGES, StoreConfig.WITHOUT_DUPLICATES, txn);
            leases = env.openStore(LEASES, StoreConfig.WITHOUT_DUPLICATES, txn);
            meta = env.openStore(META, StoreConfig.WITHOUT_DUPLICATES, txn);
        });
        env.executeInReadonlyTransaction(txn -> {
            revision = Math.max(1, metaLong(txn, REVISION));
            compactRevision = metaLong(txn, COMPACT_REVISION);
            appliedIndex = metaLong(txn, APPLIED_INDEX);
            appliedTerm = metaLong(txn, APPLIED_TERM);
            members = new MvccView(this, txn, revision, compactRevision).members();
        });
    }

    /** The revision of the last change; 1 for an empty store, as etcd. */
    public long revision() {
        return revision;
    }

    public long compactRevision() {
        return compactRevision;
    }

    /** The cluster's members as of the last commit. */
    public MemberSet members() {
        return members;
    }

    /** The last Raft index whose effects are in this store (as of the last commit). */
    public long appliedIndex() {
        return appliedIndex;
    }

    public long appliedTerm() {
        return appliedTerm;
    }

    /** Runs {@code reader} on a consistent read-only view of the latest committed state. */
    public <T> T read(Function<MvccView, T> reader) {
        swap.readLock().lock();
        try {
            // The revisions come from the transaction's own snapshot: the fields may already be a commit ahead.
            return env.computeInReadonlyTransaction(txn -> reader.apply(new MvccView(this, txn,
                    Math.max(1, metaLong(txn, REVISION)), metaLong(txn, COMPACT_REVISION))));
        } finally {
            swap.readLock().unlock();
        }
    }

    /**
     * Applies one Raft entry: runs {@code writer} in one exclusive Xodus transaction and records
     * {@code (term, index)} as applied in the same transaction. Entries at or below the recorded applied index
     * were applied before a restart and are skipped ({@code null} is returned).
     */
    public <T> T write(long term, long index, Function<MvccView, T> writer) {
        if (index <= appliedIndex) {
            return null;
        }
        writes.lock();
        try {
            Transaction txn = env.beginExclusiveTransaction();
            try {
                MvccView view = new MvccView(this, txn, revision, compactRevision);
                T result = writer.apply(view);
                putMeta(txn, APPLIED_INDEX, index);
                putMeta(txn, APPLIED_TERM, term);
                putMeta(txn, REVISION, view.revision());
                putMeta(txn, COMPACT_REVISION, view.compactRevision());
                long start = System.nanoTime();
                if (!txn.commit()) {
                    throw new IllegalStateException("exclusive Xodus transaction failed to commit at index " + index);
                }
                commitDurations.observeNanos(System.nanoTime() - start);
                revision = view.revision();
                compactRevision = view.compactRevision();
                if (view.changedMembers != null) {
                    members = view.changedMembers;
                }
                appliedTerm = term;
                appliedIndex = index;
                return result;
            } finally {
                if (!txn.isFinished()) {
                    txn.abort();
                }
            }
        } finally {
            writes.unlock();
        }
    }

    /** The duration of each {@link #write}'s commit (non-durable: the Raft log is the write-ahead log). */
    public Histogram commitDurations() {
        return commitDurations;
    }

    /**
     * Writes the member set a new store starts with (see {@code ClusterIdentity#initialMembers}); a store that has
     * applied anything, or has members already (restored from a snapshot), is left as it is.
     */
    public void seedMembers(MemberSet initial) {
        env.executeInExclusiveTransaction(txn -> {
            if (metaLong(txn, APPLIED_INDEX) == 0 && meta.get(txn, MEMBERS) == null) {
                meta.put(txn, MEMBERS, new ArrayByteIterable(initial.toByteArray()));
                members = initial;
            }
        });
    }

    /**
     * etcd's Defragment: copies what the store holds into a fresh environment and swaps it in. Compaction
     * deletes old revisions, but Xodus gives their space back only when its background GC gets to their files
     * (and not at all for the newest files); a copy takes exactly the live data. Writes wait meanwhile (as
     * with etcd's defrag); reads go on, and wait only for the swap.
     */
    public void defragment() {
        writes.lock();
        try {
            replaceWith(fresh -> env.executeInReadonlyTransaction(from -> fresh.copyFrom(this, from)));
        } catch (IOException e) {
            throw new UncheckedIOException("defragmenting the KV store failed: " + e.getMessage(), e);
        } finally {
            writes.unlock();
        }
    }

    /** Flushes and fsyncs every committed transaction (Xodus itself runs non-durable). */
    public void sync() {
        swap.readLock().lock();
        try {
            ((EnvironmentImpl) env).flushAndSync();
        } finally {
            swap.readLock().unlock();
        }
    }

    /** Bytes the environment takes on disk: its log files, the last one as far as it is written. */
    public long diskSize() {
        swap.readLock().lock();
        try {
            return ((EnvironmentImpl) env).getLog().getDiskUsage();
        } finally {
            swap.readLock().unlock();
        }
    }

    // ---- snapshot: a logical dump of every store, taken in one read-only transaction ----

    /**
     * Writes every store to {@code out}, as of one read-only transaction (writers go on meanwhile), and returns
     * the revision it holds. The dump opens with {@link DumpFormat}'s magic and version and ends after its last
     * store: whatever follows (padding, a checksum) is not read back.
     */
    public long dump(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
        long dumped;
        swap.readLock().lock();
        try {
            dumped = env.computeInReadonlyTransaction(txn -> {
                try {
                    DumpFormat.writeHeader(data);
                    for (String name : STORES) {
                        data.writeUTF(name);
                        try (Cursor c = store(name).openCursor(txn)) {
                            while (c.getNext()) {
                                writeChunk(data, c.getKey());
                                writeChunk(data, c.getValue());
                            }
                        }
                        data.writeInt(-1);
                    }
                    return Math.max(1, metaLong(txn, REVISION));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            swap.readLock().unlock();
        }
        data.flush();
        return dumped;
    }

    /**
     * Replaces the whole content with a dump written by {@link #dump}, recording {@code (term, index)} as
     * applied. The new environment is built beside the live one and swapped in only once complete.
     */
    public void restore(InputStream in, long term, long index) throws IOException {
        writes.lock();
        try (DataInputStream data = new DataInputStream(new BufferedInputStream(in, 1 << 16))) {
            replaceWith(fresh -> {
                fresh.load(data, metaKey -> true);
                fresh.env.executeInExclusiveTransaction(txn -> {
                    fresh.putMeta(txn, APPLIED_INDEX, index);
                    fresh.putMeta(txn, APPLIED_TERM, term);
                });
            });
        } finally {
            writes.unlock();
        }
    }

    /** Fills a fresh environment beside the live one. */
    private interface Filler {
        void fill(MvccStore fresh) throws IOException;
    }

    /**
     * Builds a fresh environment beside the live one and swaps it in once complete and durable. A crash
     * mid-swap leaves either directory whole: {@link #openEnvironment} takes the old one back if the new one
     * had not moved in yet.
     */
    private void replaceWith(Filler filler) throws IOException {
        Path staging = sibling(STAGING);
        deleteRecursively(staging);
        MvccStore fresh = open(staging);
        try {
            filler.fill(fresh);
            fresh.sync();
        } finally {
            fresh.env.close();
        }
        swap.writeLock().lock();
        try {
            env.close();
            Path old = sibling(OLD);
            deleteRecursively(old);
            Files.move(dir, old);
            Files.move(staging, dir);
            deleteRecursively(old);
            openEnvironment();
        } finally {
            swap.writeLock().unlock();
        }
    }

    private Path sibling(String suffix) {
        return dir.resolveSibling(dir.getFileName() + suffix);
    }

    /** Puts every entry of every store of {@code source}, as seen by {@code from}, into this (empty) store. */
    private void copyFrom(MvccStore source, Transaction from) {
        Transaction txn = env.beginExclusiveTransaction();
        try {
            long n = 0;
            for (String name : STORES) {
                Store target = store(name);
                try (Cursor c = source.store(name).openCursor(from)) {
                    while (c.getNext()) {
                        target.put(txn, new ArrayByteIterable(c.getKey()), new ArrayByteIterable(c.getValue()));
                        if (++n % 10_000 == 0) {
                            txn.flush();
                        }
                    }
                }
            }
            if (!txn.commit()) {
                throw new IllegalStateException("exclusive Xodus transaction failed to commit while defragmenting");
            }
        } finally {
            if (!txn.isFinished()) {
                txn.abort();
            }
        }
    }

    /**
     * Creates a store in the new directory {@code dir} from a dump taken on another cluster (etcd's snapshot
     * restore) and returns the revision it holds. The key space with its history, the leases, the revision
     * counters and auth (users, roles, whether it is enabled) are kept; what belonged to the old cluster is not:
     * its members, alarms, and the Raft index and term it had applied, so that the new cluster's Raft log applies
     * from index 1 on top.
     */
    public static long seed(Path dir, InputStream in) throws IOException {
        MvccStore fresh = open(dir);
        try (DataInputStream data = new DataInputStream(new BufferedInputStream(in, 1 << 16))) {
            fresh.load(data, metaKey -> SEEDED_META.contains(new ArrayByteIterable(metaKey)) || isAuth(metaKey));
            fresh.sync();
            return fresh.env.computeInReadonlyTransaction(txn -> Math.max(1, fresh.metaLong(txn, REVISION)));
        } finally {
            fresh.close();
        }
    }

    private static boolean isAuth(byte[] metaKey) {
        return new String(metaKey, StandardCharsets.US_ASCII).startsWith(AUTH_PREFIX);
    }

    private void load(DataInputStream data, Predicate<byte[]> keepMeta) throws IOException {
        DumpFormat.readHeader(data);
        Transaction txn = env.beginExclusiveTransaction();
        try {
            for (int s = 0; s < STORES.size(); s++) {
                String name = data.readUTF();
                Store store = store(name);
                long n = 0;
                for (byte[] k = readChunk(data); k != null; k = readChunk(data)) {
                    byte[] v = readChunk(data);
                    if (v == null) {
                        throw new DumpFormat.InvalidDumpException("a key without a value in store " + name);
                    }
                    if (name.equals(META) && !keepMeta.test(k)) {
                        continue;
                    }
                    store.put(txn, new ArrayByteIterable(k), new ArrayByteIterable(v));
                    if (++n % 10_000 == 0) {
                        txn.flush();
                    }
                }
            }
            txn.commit();
        } finally {
            if (!txn.isFinished()) {
                txn.abort();
            }
        }
    }

    @Override
    public void close() {
        if (env != null && env.isOpen()) {
            env.close();
        }
    }

    // ---- package-private access for MvccView ----

    Store keys() {
        return keys;
    }

    Store history() {
        return history;
    }

    Store changes() {
        return changes;
    }

    Store leases() {
        return leases;
    }

    Store meta() {
        return meta;
    }

    private Store store(String name) {
        return switch (name) {
            case KEYS -> keys;
            case HISTORY -> history;
            case CHANGES -> changes;
            case LEASES -> leases;
            case META -> meta;
            default -> throw new IllegalArgumentException("unknown store in the dump: '" + name + "'");
        };
    }

    long metaLong(Transaction txn, ByteIterable key) {
        ByteIterable v = meta.get(txn, key);
        return v == null ? 0 : LongBinding.compressedEntryToLong(v);
    }

    void putMeta(Transaction txn, ByteIterable key, long value) {
        meta.put(txn, key, LongBinding.longToCompressedEntry(value));
    }

    static ByteIterable key(String name) {
        return new ArrayByteIterable(name.getBytes(StandardCharsets.US_ASCII));
    }

    private static void writeChunk(DataOutputStream out, ByteIterable bytes) throws IOException {
        out.writeInt(bytes.getLength());
        out.write(bytes.getBytesUnsafe(), 0, bytes.getLength());
    }

    private static byte[] readChunk(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        if (length > MAX_RECORD_BYTES) {
            throw new DumpFormat.InvalidDumpException("a record of " + length + " bytes");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
