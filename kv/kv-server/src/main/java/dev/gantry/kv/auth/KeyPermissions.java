package dev.gantry.kv.auth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.auth.Permission;

/**
 * What a user may read and what it may write: the key permissions of all its roles merged, as etcd's range
 * permission cache. A permission covers keys {@code [key, range_end)} in unsigned byte order; without
 * {@code range_end} only {@code key} itself; with {@code range_end = "\0"} every key from {@code key} on. READWRITE
 * counts for both. A request is permitted when every key it addresses lies in the union of the user's
 * permissions of its kind: a range may span several adjoining permissions, as in etcd.
 */
public final class KeyPermissions {
    /** Keys {@code [begin, end)}; {@code end == null}: no upper bound. */
    private record Interval(byte[] begin, byte[] end) {
        boolean reaches(byte[] key) {
            return end == null || Arrays.compareUnsigned(end, key) >= 0;
        }
    }

    private static final Comparator<Interval> BY_BEGIN = (a, b) -> Arrays.compareUnsigned(a.begin, b.begin);

    /** Disjoint, non-adjoining, ordered by begin. */
    private final List<Interval> read;
    private final List<Interval> write;

    private KeyPermissions(List<Interval> read, List<Interval> write) {
        this.read = read;
        this.write = write;
    }

    public static KeyPermissions of(Collection<Permission> permissions) {
        List<Interval> read = new ArrayList<>();
        List<Interval> write = new ArrayList<>();
        for (Permission p : permissions) {
            Interval interval = interval(p.getKey(), p.getRangeEnd());
            if (p.getPermType() == Permission.Type.READ || p.getPermType() == Permission.Type.READWRITE) {
                read.add(interval);
            }
            if (p.getPermType() == Permission.Type.WRITE || p.getPermType() == Permission.Type.READWRITE) {
                write.add(interval);
            }
        }
        return new KeyPermissions(merged(read), merged(write));
    }

    /** Whether reading {@code key} (no {@code rangeEnd}) or the range {@code [key, rangeEnd)} is permitted. */
    public boolean permitsRead(ByteString key, ByteString rangeEnd) {
        return covers(read, key, rangeEnd);
    }

    /** Whether writing (putting, deleting) {@code key} or the range {@code [key, rangeEnd)} is permitted. */
    public boolean permitsWrite(ByteString key, ByteString rangeEnd) {
        return covers(write, key, rangeEnd);
    }

    private static boolean covers(List<Interval> granted, ByteString key, ByteString rangeEnd) {
        Interval wanted = interval(key, rangeEnd);
        if (wanted.end != null && Arrays.compareUnsigned(wanted.begin, wanted.end) >= 0) {
            return false; // an empty or inverted range addresses nothing: etcd refuses it too
        }
        for (Interval interval : granted) {
            if (Arrays.compareUnsigned(interval.begin, wanted.begin) > 0) {
                return false; // the rest begin later still
            }
            if (interval.end == null || wanted.end != null && Arrays.compareUnsigned(interval.end, wanted.end) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** etcd's interval for a key and range end: a single key is {@code [key, key + "\0")}. */
    private static Interval interval(ByteString key, ByteString rangeEnd) {
        byte[] begin = key.toByteArray();
        if (rangeEnd.isEmpty()) {
            return new Interval(begin, Arrays.copyOf(begin, begin.length + 1));
        }
        if (rangeEnd.size() == 1 && rangeEnd.byteAt(0) == 0) {
            return new Interval(begin, null);
        }
        return new Interval(begin, rangeEnd.toByteArray());
    }

    /** Joins overlapping and adjoining intervals ({@code [a, b)} and {@code [b, c)} make {@code [a, c)}). */
    private static List<Interval> merged(List<Interval> intervals) {
        List<Interval> sorted = new ArrayList<>(intervals);
        sorted.removeIf(i -> i.end != null && Arrays.compareUnsigned(i.begin, i.end) >= 0);
        sorted.sort(BY_BEGIN);
        List<Interval> merged = new ArrayList<>();
        for (Interval next : sorted) {
            Interval last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && last.reaches(next.begin)) {
                boolean longer = last.end != null && (next.end == null || Arrays.compareUnsigned(next.end, last.end) > 0);
                if (longer) {
                    merged.set(merged.size() - 1, new Interval(last.begin, next.end));
                }
            } else {
                merged.add(next);
            }
        }
        return merged;
    }
}
