package dev.gantry.kv.snapshot;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

import dev.gantry.kv.mvcc.DumpFormat;

/**
 * A snapshot file as {@code etcdctl snapshot save} writes it from Gantry: a store dump (see
 * {@link SnapshotStream}) followed by the 32-byte SHA-256 of that dump. A dump without the hash (a Raft
 * snapshot from {@code member/raft/.../sm/}) is accepted only with {@code --skip-hash-check}, as in etcd.
 */
final class SnapshotFile {
    static final int HASH_BYTES = 32;

    private SnapshotFile() {
    }

    /** Fails with a sentence naming the file unless it is a dump this build reads, with a matching hash if asked. */
    static void verify(Path file, boolean skipHashCheck) throws IOException {
        long size = Files.size(file);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            DumpFormat.readHeader(in);
        } catch (DumpFormat.InvalidDumpException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
        if (skipHashCheck) {
            return;
        }
        if (size < HASH_BYTES) {
            throw new IllegalArgumentException(file + " is truncated: " + size + " bytes cannot hold a dump and its SHA-256");
        }
        MessageDigest sha256 = sha256();
        byte[] trailer = new byte[HASH_BYTES];
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            long left = size - HASH_BYTES;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException(file + " shrank while it was being read");
                }
                sha256.update(buffer, 0, n);
                left -= n;
            }
            if (in.readNBytes(trailer, 0, HASH_BYTES) != HASH_BYTES) {
                throw new IOException(file + " shrank while it was being read");
            }
        }
        if (!Arrays.equals(sha256.digest(), trailer)) {
            throw new IllegalArgumentException(file + " failed its integrity check: the SHA-256 at its end does not match "
                    + "its content, so it is corrupted or truncated (a dump without that hash needs --skip-hash-check)");
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
