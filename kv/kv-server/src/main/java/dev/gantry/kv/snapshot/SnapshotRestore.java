package dev.gantry.kv.snapshot;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import dev.gantry.kv.cluster.ClusterIdentity;
import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.mvcc.DumpFormat;
import dev.gantry.kv.mvcc.MvccStore;

/**
 * etcd's {@code snapshot restore}: makes the data directory of one member of a new cluster from a snapshot
 * file. Each member of the new cluster is restored from the same file with its own {@code --name}; started
 * with the same flags, they form the new cluster (new cluster and member IDs).
 *
 * <p>The restored store keeps the key space with its history, the revision and compaction revision, and the
 * leases; the old cluster's membership, alarms and Raft position are dropped (see {@link MvccStore#seed}).
 * The member identity is written as a first start with these flags writes it. Nothing is created unless the
 * file checks out, and a restore that fails half-way removes what it created.
 */
public final class SnapshotRestore {
    /** What was restored: the store revision, and the identity of the new member. */
    public record Restored(long revision, ClusterIdentity identity) {
    }

    private SnapshotRestore() {
    }

    /**
     * @throws IllegalArgumentException with a sentence for the operator when the file or the target directory
     *                                  will not do; nothing is changed then
     */
    public static Restored restore(Path snapshot, MemberConfig config, boolean skipHashCheck) throws IOException {
        if (!Files.isRegularFile(snapshot)) {
            throw new IllegalArgumentException("snapshot file " + snapshot
                    + (Files.exists(snapshot) ? " is not a file" : " does not exist"));
        }
        Path dataDir = config.dataDir();
        boolean created = !Files.exists(dataDir);
        if (!created && !isEmptyDirectory(dataDir)) {
            throw new IllegalArgumentException("--data-dir " + dataDir + " exists and is not empty: restore into a new "
                    + "directory (a restore never overwrites a member's data)");
        }
        SnapshotFile.verify(snapshot, skipHashCheck);
        try {
            long revision;
            try (InputStream in = Files.newInputStream(snapshot)) {
                revision = MvccStore.seed(config.storeDir(), in);
            }
            return new Restored(revision, ClusterIdentity.loadOrCreate(config));
        } catch (IOException | RuntimeException e) {
            undo(dataDir, created, e);
            if (e instanceof EOFException) {
                throw new IllegalArgumentException(snapshot + " is truncated: it ends inside the dump");
            }
            if (e instanceof DumpFormat.InvalidDumpException) {
                throw new IllegalArgumentException(snapshot + ": " + e.getMessage());
            }
            throw e;
        }
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    /** Removes what a failed restore created: the data directory, or only its content if it was there before. */
    private static void undo(Path dataDir, boolean created, Exception failure) {
        try (Stream<Path> walk = Files.walk(dataDir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (created || !p.equals(dataDir)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
