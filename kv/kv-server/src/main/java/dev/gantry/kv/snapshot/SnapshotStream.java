package dev.gantry.kv.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.etcd.SnapshotResponse;

/**
 * etcd's Snapshot RPC over one {@link SnapshotDump}: the dump in 32 KiB messages, each saying how many bytes
 * are still to come after it, then one message whose blob is the SHA-256 of everything sent before. etcdctl
 * writes every blob to the file it saves, so that file is the dump followed by its SHA-256, which
 * {@link SnapshotFile} checks on restore. Closing the stream deletes the dump.
 */
public final class SnapshotStream implements AutoCloseable {
    static final int CHUNK_BYTES = 32 * 1024;

    private final SnapshotDump dump;
    private final ResponseHeader header;
    private final FileChannel channel;
    private final MessageDigest sha256 = SnapshotFile.sha256();
    private long sent;
    private boolean hashSent;

    public SnapshotStream(SnapshotDump dump, ResponseHeader header) throws IOException {
        this.dump = dump;
        this.header = header;
        try {
            this.channel = FileChannel.open(dump.file(), StandardOpenOption.READ);
        } catch (IOException e) {
            dump.close();
            throw e;
        }
    }

    /** The next message, or null after the SHA-256 has been sent. */
    public SnapshotResponse next() throws IOException {
        if (sent < dump.size()) {
            ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, dump.size() - sent));
            while (chunk.hasRemaining()) {
                if (channel.read(chunk, sent + chunk.position()) < 0) {
                    throw new IOException("snapshot dump " + dump.file() + " ended at " + (sent + chunk.position())
                            + " of " + dump.size() + " bytes");
                }
            }
            chunk.flip();
            sha256.update(chunk.duplicate());
            sent += chunk.remaining();
            return SnapshotResponse.newBuilder().setHeader(header).setRemainingBytes(dump.size() - sent)
                    .setBlob(UnsafeByteOperations.unsafeWrap(chunk)).build(); // a fresh buffer per message
        }
        if (!hashSent) {
            hashSent = true;
            return SnapshotResponse.newBuilder().setHeader(header).setBlob(ByteString.copyFrom(sha256.digest())).build();
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            dump.close();
        }
    }
}
