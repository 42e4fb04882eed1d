package dev.gantry.kv.mvcc;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * The head of a store dump ({@link MvccStore#dump}): Raft snapshots and etcd-style snapshot files both are
 * one. A magic number says the file is a Gantry KV dump at all, and a format version says whether this build
 * can read it, so that restoring the wrong file fails with a sentence instead of garbage.
 */
public final class DumpFormat {
    /** "GANTRYKV" in ASCII. */
    static final long MAGIC = 0x47414e5452594b56L;
    static final int VERSION = 1;

    private DumpFormat() {
    }

    static void writeHeader(DataOutputStream out) throws IOException {
        out.writeLong(MAGIC);
        out.writeInt(VERSION);
    }

    /** Reads and checks the header; fails with {@link InvalidDumpException} if {@code in} is no dump this build reads. */
    public static void readHeader(DataInputStream in) throws IOException {
        long magic;
        int version;
        try {
            magic = in.readLong();
            version = in.readInt();
        } catch (EOFException e) {
            throw new InvalidDumpException("it is too short to be one");
        }
        if (magic != MAGIC) {
            throw new InvalidDumpException("it does not start with a Gantry KV dump header"
                    + " (an etcd snapshot is restored with etcdctl snapshot restore)");
        }
        if (version != VERSION) {
            throw new InvalidDumpException("it has format version " + version + ", and this Gantry reads version " + VERSION);
        }
    }

    /** The input is not a dump this build can read; the message says why. */
    public static final class InvalidDumpException extends IOException {
        InvalidDumpException(String why) {
            super("not a Gantry KV snapshot: " + why);
        }
    }
}
