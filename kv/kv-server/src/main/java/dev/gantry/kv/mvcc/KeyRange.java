package dev.gantry.kv.mvcc;

import java.util.Arrays;

/**
 * The keys an etcd request addresses: {@code [key, end)} by unsigned byte order, with etcd's conventions —
 * no {@code range_end} means the single key, {@code range_end = "\0"} means every key {@code >= key}
 * (and {@code key = "\0"} with it means all keys).
 */
public record KeyRange(byte[] key, byte[] end) {
    private static final byte[] NONE = new byte[0];

    public static KeyRange of(com.google.protobuf.ByteString key, com.google.protobuf.ByteString rangeEnd) {
        return new KeyRange(key.toByteArray(), rangeEnd.isEmpty() ? NONE : rangeEnd.toByteArray());
    }

    /** The {@code range_end} that makes a range the prefix {@code prefix} (clientv3's {@code GetPrefixRangeEnd}). */
    public static com.google.protobuf.ByteString prefixEnd(com.google.protobuf.ByteString prefix) {
        byte[] end = prefix.toByteArray();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xFF) {
                end[i]++;
                return com.google.protobuf.ByteString.copyFrom(end, 0, i + 1);
            }
        }
        return com.google.protobuf.ByteString.copyFrom(new byte[]{0}); // all 0xFF: every key from the prefix on
    }

    public static KeyRange single(byte[] key) {
        return new KeyRange(key, NONE);
    }

    public boolean isSingleKey() {
        return end.length == 0;
    }

    /** {@code range_end = "\0"}: no upper bound. */
    public boolean isUnbounded() {
        return end.length == 1 && end[0] == 0;
    }

    public boolean contains(byte[] k) {
        if (isSingleKey()) {
            return Arrays.equals(key, k);
        }
        return Arrays.compareUnsigned(k, key) >= 0 && (isUnbounded() || Arrays.compareUnsigned(k, end) < 0);
    }

    /** True once {@code k} (visited in ascending order) lies past this range. */
    public boolean isAfter(byte[] k) {
        if (isSingleKey()) {
            return Arrays.compareUnsigned(k, key) > 0;
        }
        return !isUnbounded() && Arrays.compareUnsigned(k, end) >= 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyRange r && Arrays.equals(key, r.key) && Arrays.equals(end, r.end);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(key) + Arrays.hashCode(end);
    }

    @Override
    public String toString() {
        return "[" + new String(key, java.nio.charset.StandardCharsets.UTF_8) + ", "
                + (isSingleKey() ? "single" : isUnbounded() ? "∞" : new String(end, java.nio.charset.StandardCharsets.UTF_8)) + ")";
    }
}
