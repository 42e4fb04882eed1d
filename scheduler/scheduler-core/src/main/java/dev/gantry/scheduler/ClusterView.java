package dev.gantry.scheduler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.gantry.job.Keys;
import dev.gantry.job.Node;
import dev.gantry.job.NodeState;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.Informer;
import dev.gantry.scheduler.placement.GpuSlot;
import dev.gantry.scheduler.placement.NodeCapacity;
import dev.gantry.scheduler.placement.PendingQueue;

/**
 * What one pass decides from: the tasks as of {@code revision} (plus this scheduler's own newer writes), the
 * live nodes with the GPUs their SCHEDULED and RUNNING tasks hold, the pending queue in order, and the tasks
 * whose node is gone.
 */
record ClusterView(long revision, List<Informer.Entry<Task>> pending, Map<String, NodeCapacity> nodes,
        List<Informer.Entry<Task>> orphaned) {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ClusterView.class);

    static ClusterView of(Informer.Snapshot<Task> tasks, List<Informer.Entry<Node>> nodes,
            List<Informer.Entry<NodeState>> states, OwnWrites own) {
        own.forgetUpTo(tasks.revision());
        Map<String, NodeState.State> operator = new HashMap<>();
        for (Informer.Entry<NodeState> state : states) {
            if (state.value().state() != null) {
                operator.put(Keys.lastSegment(state.key()), state.value().state());
            }
        }
        Set<String> live = new HashSet<>();
        for (Informer.Entry<Node> node : nodes) {
            live.add(Keys.lastSegment(node.key()));
        }
        List<Informer.Entry<Task>> pending = new ArrayList<>();
        List<Informer.Entry<Task>> orphaned = new ArrayList<>();
        Map<String, Set<String>> held = new HashMap<>();
        for (Informer.Entry<Task> seen : tasks.entries()) {
            Informer.Entry<Task> entry = own.newest(seen);
            Task task = entry.value();
            if (task.id() == null || task.spec() == null || task.status() == null) {
                LOG.warnf("%s lacks an id, spec or status, skipped", entry.key());
                continue;
            }
            if (task.status() == TaskStatus.PENDING) {
                pending.add(entry);
            } else if (task.status() == TaskStatus.SCHEDULED || task.status() == TaskStatus.RUNNING) {
                if (task.node() == null || !live.contains(task.node())) {
                    orphaned.add(entry);
                } else {
                    held.computeIfAbsent(task.node(), n -> new HashSet<>()).addAll(task.gpus());
                }
            }
        }
        pending.sort((a, b) -> PendingQueue.ORDER.compare(a.value(), b.value()));
        Map<String, NodeCapacity> capacities = new HashMap<>();
        for (Informer.Entry<Node> node : nodes) {
            String id = Keys.lastSegment(node.key());
            NodeState.State state = operator.get(id);
            NodeCapacity.Availability availability = state == null ? NodeCapacity.Availability.READY
                    : state == NodeState.State.CORDONED ? NodeCapacity.Availability.CORDONED : NodeCapacity.Availability.DRAINING;
            capacities.put(id, new NodeCapacity(id, node.lease(), availability,
                    node.value().gpus().stream().map(GpuSlot::of).toList(), held.getOrDefault(id, Set.of())));
        }
        return new ClusterView(tasks.revision(), pending, capacities, orphaned);
    }
}
