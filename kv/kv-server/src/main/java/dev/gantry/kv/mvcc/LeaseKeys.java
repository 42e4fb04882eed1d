package dev.gantry.kv.mvcc;

import java.util.Arrays;

/**
 * Keys of the {@code leases} store: a lease's record under its 8-byte ID, and each key attached to it under
 * ID ‖ key, so that a lease and its keys are one contiguous range (revoking reads them with one cursor).
 */
final class LeaseKeys {
    static final int RECORD_LENGTH = 8;

    private LeaseKeys() {
    }

    static byte[] record(long leaseId) {
        byte[] k = new byte[RECORD_LENGTH];
        for (int i = 0; i < 8; i++) {
            k[i] = (byte) (leaseId >>> (56 - 8 * i));
        }
        return k;
    }

    static byte[] attachment(long leaseId, byte[] key) {
        byte[] k = Arrays.copyOf(record(leaseId), RECORD_LENGTH + key.length);
        System.arraycopy(key, 0, k, RECORD_LENGTH, key.length);
        return k;
    }

    static boolean isOf(byte[] storeKey, long leaseId) {
        return storeKey.length >= RECORD_LENGTH
                && Arrays.equals(storeKey, 0, RECORD_LENGTH, record(leaseId), 0, RECORD_LENGTH);
    }

    static byte[] attachedKey(byte[] storeKey) {
        return Arrays.copyOfRange(storeKey, RECORD_LENGTH, storeKey.length);
    }

    /** A bijective mix (SplitMix64's finaliser) of a counter into a positive long. */
    static long scramble(long seed) {
        long z = seed * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) & Long.MAX_VALUE;
    }
}
