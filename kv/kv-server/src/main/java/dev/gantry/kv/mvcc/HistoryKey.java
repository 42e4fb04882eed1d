package dev.gantry.kv.mvcc;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Encodes (key, revision) into one Xodus key that sorts by key, then by revision, so that every version of
 * a key is contiguous and in revision order. Keys are arbitrary bytes, so the key is escaped
 * (0x00 → 0x00 0xFF) and ended with 0x00 0x01; a terminator that sorts below any escaped byte keeps
 * "a" before "a\0" before "ab". The revision follows as 8 big-endian bytes.
 */
public final class HistoryKey {
    private HistoryKey() {
    }

    public static byte[] encode(byte[] key, long revision) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(key.length + 12);
        writeEscaped(out, key);
        out.write(0);
        out.write(1);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (revision >>> shift));
        }
        return out.toByteArray();
    }

    /** The smallest encoding of any version of any key {@code >= key}. */
    public static byte[] lowerBound(byte[] key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(key.length + 2);
        writeEscaped(out, key);
        return out.toByteArray();
    }

    public static byte[] key(byte[] encoded, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        int end = length - 10;
        for (int i = 0; i < end; i++) {
            byte b = encoded[i];
            out.write(b);
            if (b == 0) {
                i++; // skip the escape byte 0xFF
            }
        }
        return out.toByteArray();
    }

    public static long revision(byte[] encoded, int length) {
        long rev = 0;
        for (int i = length - 8; i < length; i++) {
            rev = (rev << 8) | (encoded[i] & 0xFF);
        }
        return rev;
    }

    /** Whether two encodings belong to the same key (they differ only in the revision suffix). */
    public static boolean sameKey(byte[] a, int aLength, byte[] b, int bLength) {
        return aLength == bLength && Arrays.equals(a, 0, aLength - 8, b, 0, bLength - 8);
    }

    private static void writeEscaped(ByteArrayOutputStream out, byte[] key) {
        for (byte b : key) {
            out.write(b);
            if (b == 0) {
                out.write(0xFF);
            }
        }
    }
}
