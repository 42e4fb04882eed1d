package dev.gantry.reliability.check;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** After healing, every member's HashKV at the same revision is equal (same history up to it, byte for byte). */
public final class HashChecker {

    public static final String NAME = "hash";

    /** A member's HashKV answer. */
    public record MemberHash(long revision, long hash, long compactRevision) {
    }

    public List<Anomaly> check(long revision, Map<String, MemberHash> hashes) {
        if (hashes.values().stream().map(h -> List.of(h.hash(), h.compactRevision())).distinct().count() <= 1
                && hashes.values().stream().allMatch(h -> h.revision() >= revision)) {
            return List.of();
        }
        return List.of(new Anomaly(NAME, "members disagree on HashKV at rev " + revision + ": " + hashes.entrySet().stream()
                .map(e -> e.getKey() + "=" + Long.toHexString(e.getValue().hash()) + " (header rev "
                        + e.getValue().revision() + ", compact rev " + e.getValue().compactRevision() + ")")
                .collect(Collectors.joining(", "))));
    }
}
