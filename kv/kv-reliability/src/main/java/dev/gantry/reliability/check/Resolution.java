package dev.gantry.reliability.check;

import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.Op;
import dev.gantry.reliability.history.OpType;
import dev.gantry.reliability.history.Outcome;
import dev.gantry.reliability.history.WatchEvent;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Resolves operations with an unknown outcome against the reference history, as etcd's robustness suite patches its
 * histories with watch events: without it every timed-out write stays open forever and the search explodes.
 * The reference is trusted here because other checkers verify it (HashKV equal on all members, every acknowledged
 * write in it, every watcher's stream equal to it).
 */
final class Resolution {

    private Resolution() {
    }

    static Map<String, List<Op>> resolve(History history, List<WatchEvent> reference) {
        List<Op> all = history.ops();
        // When revision R was surely applied: the first completion of an operation whose header revision is >= R.
        TreeMap<Long, Long> firstCompletionAtOrAbove = new TreeMap<>();
        List<Op> byRevisionDesc = all.stream().filter(op -> op.ok() && op.revision() > 0)
                .sorted(Comparator.comparingLong(Op::revision).reversed()).toList();
        long earliest = Long.MAX_VALUE;
        for (Op op : byRevisionDesc) {
            earliest = Math.min(earliest, op.completeNanos());
            firstCompletionAtOrAbove.put(op.revision(), earliest);
        }
        Map<String, WatchEvent> putOfValue = new HashMap<>();
        Map<String, List<WatchEvent>> deletesOfKey = new HashMap<>();
        for (WatchEvent event : reference) {
            if (event.delete()) {
                deletesOfKey.computeIfAbsent(event.key(), k -> new ArrayList<>()).add(event);
            } else {
                putOfValue.put(event.key() + "\u0000" + event.value(), event);
            }
        }
        Set<String> acknowledgedDeletes = new HashSet<>();
        for (Op op : all) {
            if (op.ok() && op.type() == OpType.DELETE && op.observed() != null) {
                acknowledgedDeletes.add(op.key() + "\u0000" + op.revision());
            }
        }
        Map<String, List<Op>> byKey = new HashMap<>();
        for (Op op : all) {
            Op resolved = op;
            if (op.outcome() == Outcome.UNKNOWN) {
                long bound;
                if (op.type() == OpType.DELETE) {
                    bound = deletesOfKey.getOrDefault(op.key(), List.of()).stream()
                            .filter(e -> !acknowledgedDeletes.contains(e.key() + "\u0000" + e.revision()))
                            .mapToLong(e -> appliedBy(firstCompletionAtOrAbove, e.revision()))
                            .filter(t -> t > op.invokeNanos()).max().orElse(-1);
                } else if (op.type() == OpType.GET) {
                    bound = -1;
                } else {
                    WatchEvent event = putOfValue.get(op.key() + "\u0000" + op.value());
                    bound = event == null ? -1 : appliedBy(firstCompletionAtOrAbove, event.revision());
                }
                if (bound < 0) {
                    continue; // never happened (or a delete that changed nothing): no effect to place
                }
                resolved = new Op(op.process(), op.type(), op.key(), op.value(), op.expected(), op.observed(),
                        op.succeeded(), op.invokeNanos(), Math.max(bound, op.invokeNanos() + 1), Outcome.UNKNOWN, 0,
                        op.member());
            }
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(resolved);
        }
        return byKey;
    }

    private static long appliedBy(TreeMap<Long, Long> firstCompletionAtOrAbove, long revision) {
        Map.Entry<Long, Long> entry = firstCompletionAtOrAbove.ceilingEntry(revision);
        return entry == null ? Op.NEVER : entry.getValue();
    }
}
