package dev.gantry.bench;

import com.google.protobuf.ByteString;
import java.util.SplittableRandom;

/**
 * The keys a run touches: {@code k0000000} to {@code k<size-1>}, 8 bytes each up to ten million keys
 * (etcd's benchmark uses 8-byte keys too). Built once so that sending a request allocates no key.
 */
final class KeySpace {

    private final ByteString[] keys;

    KeySpace(int size) {
        int digits = Math.max(7, String.valueOf(size - 1).length());
        keys = new ByteString[size];
        for (int i = 0; i < size; i++) {
            String number = String.valueOf(i);
            keys[i] = ByteString.copyFromUtf8("k" + "0".repeat(digits - number.length()) + number);
        }
    }

    /** The key at {@code index}, wrapping around the key space. */
    ByteString at(long index) {
        return keys[(int) Math.floorMod(index, (long) keys.length)];
    }

    ByteString random(SplittableRandom random) {
        return keys[random.nextInt(keys.length)];
    }
}
