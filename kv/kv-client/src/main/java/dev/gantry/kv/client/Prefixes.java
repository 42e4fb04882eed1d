package dev.gantry.kv.client;

import com.google.protobuf.ByteString;

/** etcd's key ranges: a prefix is the range [prefix, prefix with its last byte incremented). */
final class Prefixes {
    private Prefixes() {
    }

    static ByteString key(String key) {
        return ByteString.copyFromUtf8(key);
    }

    static ByteString rangeEnd(String prefix) {
        byte[] end = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return ByteString.copyFrom(end, 0, i + 1);
            }
        }
        return ByteString.copyFrom(new byte[] {0}); // every key
    }

    /** The smallest key after {@code key}. */
    static ByteString after(String key) {
        return key(key).concat(ByteString.copyFrom(new byte[] {0}));
    }
}
