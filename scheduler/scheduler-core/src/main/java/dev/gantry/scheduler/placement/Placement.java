package dev.gantry.scheduler.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One scheduling pass's placement decisions, asked for in queue order (priority, then age).
 *
 * <p><b>Best fit:</b> of the ready nodes with enough free healthy GPUs that match, the one with the fewest free
 * GPUs wins (ties: the node id), so whole nodes stay free for big jobs. A task that asks for no GPU goes to any
 * ready node, by the same rule.
 *
 * <p><b>Strict priority with reservations:</b> a task that some ready node could run but none has room for
 * now <em>reserves</em> the unreserved node closest to fitting it (the most free matching GPUs). Tasks asked
 * for later in the pass — lower priority, or younger — may not take GPUs on a reserved node; they may backfill
 * any other node. A reserved node receives nothing new, so its running tasks drain and the blocked task gets it:
 * no task waits forever behind a stream of smaller, lower-priority ones. A task that no ready node could ever
 * run reserves nothing (it says why it waits instead).
 */
public final class Placement {
    private final List<NodeCapacity> nodes;
    /** Node id → the task that reserved it in this pass. */
    private final Map<String, String> reservedFor = new HashMap<>();

    public Placement(List<NodeCapacity> nodes) {
        this.nodes = nodes.stream().sorted(Comparator.comparing(NodeCapacity::id)).toList();
    }

    public Decision place(String taskId, Request request) {
        NodeCapacity best = null;
        int bestFree = Integer.MAX_VALUE;
        NodeCapacity closest = null;           // unreserved eligible node with the most free matching GPUs
        int closestFree = -1;
        String heldFor = null;                 // a reserved node it would fit on, and for whom
        NodeCapacity heldNode = null;
        int eligible = 0;
        int mostFree = 0;                      // over every eligible node, for the reason
        int largestCapacity = 0;
        List<NodeCapacity> unavailable = new ArrayList<>();
        for (NodeCapacity node : nodes) {
            int capacity = node.capacityFor(request);
            if (capacity < request.gpus()) {
                if (node.ready()) {
                    largestCapacity = Math.max(largestCapacity, capacity);
                }
                continue;
            }
            if (!node.ready()) {
                unavailable.add(node);
                continue;
            }
            eligible++;
            int free = node.freeFor(request);
            mostFree = Math.max(mostFree, free);
            String reservation = reservedFor.get(node.id());
            if (free >= request.gpus()) {
                if (reservation != null && request.gpus() > 0) {
                    if (heldFor == null) {
                        heldFor = reservation;
                        heldNode = node;
                    }
                    continue;
                }
                int total = node.free();
                if (total < bestFree) {
                    best = node;
                    bestFree = total;
                }
            } else if (reservation == null && free > closestFree) {
                closest = node;
                closestFree = free;
            }
        }
        if (best != null) {
            return new Decision.Placed(best, best.take(request));
        }
        if (eligible == 0) {
            return new Decision.Waiting(PendingReasons.noEligibleNode(request, nodes.isEmpty(), unavailable, largestCapacity));
        }
        if (closest != null) {
            reservedFor.put(closest.id(), taskId);
        }
        if (heldFor != null) {
            return new Decision.Waiting(PendingReasons.behind(request, heldFor, heldNode));
        }
        return new Decision.Waiting(PendingReasons.noRoom(request, mostFree));
    }

    /** The node a task reserved in this pass, if any (for tests and logs). */
    public Map<String, String> reservations() {
        return Map.copyOf(reservedFor);
    }
}
