package dev.gantry.kv.snapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import dev.gantry.kv.mvcc.MvccStore;

/**
 * A dump of a member's store in a file of its own, for etcd's Snapshot RPC: taken in one read-only
 * transaction (writes go on meanwhile) and then streamed at the client's pace. Closing it deletes the file.
 *
 * @param revision the store revision the dump holds
 * @param size     the file's length in bytes, padding included
 */
public record SnapshotDump(Path file, long revision, long size) implements AutoCloseable {
    /**
     * etcdctl 3.4 keeps a saved snapshot only if its length is a multiple of 512 plus the 32-byte SHA-256 (a
     * bbolt file always is), so the dump is padded with zeros, which restoring never reads.
     */
    static final int ALIGNMENT = 512;

    /** Dumps {@code store} into a new file in {@code dir}. */
    public static SnapshotDump take(MvccStore store, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = Files.createTempFile(dir, "snapshot-", ".dump");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long revision = store.dump(Channels.newOutputStream(channel));
            long size = channel.size();
            long padded = (size + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
            channel.write(ByteBuffer.allocate((int) (padded - size)), size);
            return new SnapshotDump(file, revision, padded);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /** Deletes the dumps that a previous run left in {@code dir}: it stopped while streaming them. */
    public static void deleteLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".dump")).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the snapshot dump " + file, e);
        }
    }
}
