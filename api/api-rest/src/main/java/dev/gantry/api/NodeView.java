package dev.gantry.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.gantry.job.Assignment;
import dev.gantry.job.Node;
import dev.gantry.job.NodeState;

/**
 * A node as the API shows it: what its agent reports ({@code /nodes/<id>}), the operator's state
 * ({@code /config/nodes/<id>}) and the tasks assigned to it ({@code /assignments/<id>/}), merged.
 *
 * @param status   {@code ready}, {@code cordoned}, {@code draining}; {@code lost} when the agent's key is gone
 *                 (its lease expired) but tasks are still assigned to it; {@code offline} when the key is gone
 *                 and only the operator's state remains
 * @param online   whether the agent's key exists
 * @param gpusInUse the GPUs held by assigned tasks
 * @param problem  set when {@code /nodes/<id>} holds something that is not a node (written by hand)
 * @param notice   what the node's agent reported for operators (e.g. it stopped its tasks after losing its lease)
 */
public record NodeView(
        String id,
        String status,
        boolean online,
        String hostname,
        List<Node.Gpu> gpus,
        List<String> gpusInUse,
        Boolean simulated,
        Integer cpus,
        Long memoryMiB,
        Map<String, String> labels,
        String agentVersion,
        Instant registeredAt,
        Instant updatedAt,
        NodeState operatorState,
        List<NodeTask> tasks,
        String problem,
        String notice) {

    /** One task assigned to the node. */
    public record NodeTask(String id, int attempt, List<String> gpus) {
    }

    /** A node key whose value does not parse: shown, not hidden, so that an operator can fix it. */
    static NodeView unreadable(String id, String problem, NodeState state, List<Assignment> assignments) {
        NodeView view = of(id, null, state, assignments);
        return new NodeView(id, "invalid", true, null, null, view.gpusInUse, null, null, null, null, null, null, null, state,
                view.tasks, problem, null);
    }

    static NodeView of(String id, Node node, NodeState state, List<Assignment> assignments) {
        List<NodeTask> tasks = assignments.stream().map(a -> new NodeTask(a.taskId(), a.attempt(), a.gpus())).toList();
        List<String> inUse = assignments.stream().flatMap(a -> a.gpus().stream()).distinct().toList();
        if (node == null) {
            return new NodeView(id, tasks.isEmpty() ? "offline" : "lost", false, null, null, inUse, null, null, null, null, null, null,
                    null, state, tasks, null, null);
        }
        String status = state == null ? "ready" : state.state().label();
        return new NodeView(id, status, true, node.hostname(), node.gpus(), inUse, node.simulated(), node.cpus(), node.memoryMiB(),
                node.labels(), node.agentVersion(), node.registeredAt(), node.updatedAt(), state, tasks, null, node.notice());
    }
}
