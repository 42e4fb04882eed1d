package dev.gantry.scheduler.placement;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The human text on a pending task, saying what it needs and what stands in the way. Reasons avoid figures
 * that change with every placement elsewhere, because a task's reason is written (one txn) only when it changes.
 */
public final class PendingReasons {
    /** Shown until the scheduler first looks at a task (Task.submitted writes it). */
    public static final String NO_READY_NODES = "no ready nodes";
    private static final int NAMED_NODES = 3;

    private PendingReasons() {
    }

    /** No ready node could ever run it: none registered, the ones that could are cordoned/draining, or too small. */
    static String noEligibleNode(Request request, boolean noNodes, List<NodeCapacity> unavailable, int largestCapacity) {
        if (noNodes) {
            return NO_READY_NODES;
        }
        if (!unavailable.isEmpty()) {
            String named = unavailable.stream().limit(NAMED_NODES)
                    .map(n -> unavailable.size() == 1 ? "node " + n.id() + " is " + n.availability().label()
                            : n.id() + " (" + n.availability().label() + ")")
                    .collect(Collectors.joining(", "));
            if (unavailable.size() == 1) {
                return request.describe() + "; " + named;
            }
            return request.describe() + "; the nodes that could run it are not taking tasks: " + named
                    + (unavailable.size() > NAMED_NODES ? " and " + (unavailable.size() - NAMED_NODES) + " more" : "");
        }
        if (largestCapacity == 0) {
            return request.describe() + "; no ready node has " + (request.gpuModel() == null && request.minGpuMemoryGiB() == null
                    ? "a healthy GPU" : "a matching healthy GPU");
        }
        return request.describe() + "; no ready node has that many (the largest has " + largestCapacity + ")";
    }

    /** Some ready node could run it, but none has room now. */
    static String noRoom(Request request, int bestFree) {
        return request.describe() + "; the best node has " + bestFree + " free";
    }

    /** It would fit on a node that a higher-priority task has reserved. */
    static String behind(Request request, String blockedTask, NodeCapacity node) {
        return request.describe() + "; waiting behind higher-priority task " + blockedTask + " (node " + node.id()
                + " is held for it)";
    }
}
