package dev.gantry.kv.mvcc;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
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

import dev.gantry.kv.metrics.Histogram;

/**
 * etcd's multi-version key-value store on one JetBrains Xodus environment.
 *
 * <p>Stores: {@code keys} (key → current {@code KeyValue}), {@code history} ({@link HistoryKey}(key, rev) →
 * version or tombstone, for reads at a revision), {@code changes} (rev ‖ sub → key, the revision-ordered
 * change log for watch catch-up), {@code leases} and {@code meta} (applied Raft index and term, current and
 * compacted revision, members).
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

    static final ByteIterable APPLIED_INDEX = key("applied_index");
    static final ByteIterable APPLIED_TERM = key("applied_term");
    static final ByteIterable REVISION = key("revision");
    static final ByteIterable COMPACT_REVISION = key("compact_revision");
    static final ByteIterable MEMBERS = key("members");
    static final ByteIterable LEASE_SEED = key("lease_seed");

    private final Path dir;
    /** Held by readers; taken exclusively only while a snapshot restore swaps the environment. */
    private final ReentrantReadWriteLock swap = new ReentrantReadWriteLock();
    private Environment env;
    private Store keys;
    private Store history;
    private Store changes;
    private Store leases;
    private Store meta;

    private volatile long revision;
    private volatile long compactRevision;
    private volatile long appliedIndex;
    private volatile long appliedTerm;
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
        });
    }

    /** The revision of the last change; 1 for an empty store, as etcd. */
    public long revision() {
        return revision;
    }

    public long compactRevision() {
        return compactRevision;
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
            appliedTerm = term;
            appliedIndex = index;
            return result;
        } finally {
            if (!txn.isFinished()) {
                txn.abort();
            }
        }
    }

    /** The duration of each {@link #write}'s commit (non-durable: the Raft log is the write-ahead log). */
    public Histogram commitDurations() {
        return commitDurations;
    }

    /** etcd's Defragment: asks Xodus to reclaim the space of obsolete log files now, instead of when it gets to it. */
    public void defragment() {
        env.gc();
    }

    /** Flushes and fsyncs every committed transaction (Xodus itself runs non-durable). */
    public void sync() {
        ((EnvironmentImpl) env).flushAndSync();
    }

    /** Bytes the environment takes on disk. */
    public long diskSize() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".xd")).mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    // ---- snapshot: a logical dump of every store, taken in one read-only transaction ----

    /** Writes every store to {@code out}, as of one read-only transaction. */
    public void dump(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
        env.executeInReadonlyTransaction(txn -> {
            try {
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
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        data.flush();
    }

    /**
     * Replaces the whole content with a dump written by {@link #dump}, recording {@code (term, index)} as
     * applied. The new environment is built beside the live one and swapped in only once complete.
     */
    public void restore(InputStream in, long term, long index) throws IOException {
        Path staging = dir.resolveSibling(dir.getFileName() + ".restore");
        deleteRecursively(staging);
        MvccStore fresh = open(staging);
        try (DataInputStream data = new DataInputStream(new BufferedInputStream(in, 1 << 16))) {
            fresh.load(data);
            fresh.env.executeInExclusiveTransaction(txn -> {
                fresh.putMeta(txn, APPLIED_INDEX, index);
                fresh.putMeta(txn, APPLIED_TERM, term);
            });
            fresh.sync();
        } finally {
            fresh.env.close();
        }
        swap.writeLock().lock();
        try {
            env.close();
            Path old = dir.resolveSibling(dir.getFileName() + ".old");
            deleteRecursively(old);
            Files.move(dir, old);
            Files.move(staging, dir);
            deleteRecursively(old);
            openEnvironment();
        } finally {
            swap.writeLock().unlock();
        }
    }

    private void load(DataInputStream data) throws IOException {
        Transaction txn = env.beginExclusiveTransaction();
        try {
            for (int s = 0; s < STORES.size(); s++) {
                Store store = store(data.readUTF());
                long n = 0;
                for (byte[] k = readChunk(data); k != null; k = readChunk(data)) {
                    store.put(txn, new ArrayByteIterable(k), new ArrayByteIterable(readChunk(data)));
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
            default -> throw new IllegalArgumentException("unknown store in snapshot: " + name);
        };
    }

    long metaLong(Transaction txn, ByteIterable key) {
        ByteIterable v = meta.get(txn, key);
        return v == null ? 0 : LongBinding.compressedEntryToLong(v);
    }

    void putMeta(Transaction txn, ByteIterable key, long value) {
        meta.put(txn, key, LongBinding.longToCompressedEntry(value));
    }

    private static ByteIterable key(String name) {
        return new ArrayByteIterable(name.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
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
