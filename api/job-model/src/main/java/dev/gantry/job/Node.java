package dev.gantry.job;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The value of {@code /nodes/<id>}: what an agent reports about its host, attached to the agent's lease (the key
 * disappears when the agent stops renewing). Operator intent (cordon, drain) is in {@link NodeState}, not here.
 *
 * @param simulated its GPUs were declared with {@code --simulate-gpus}, not discovered
 */
public record Node(
        String id,
        String hostname,
        List<Gpu> gpus,
        boolean simulated,
        Integer cpus,
        Long memoryMiB,
        Map<String, String> labels,
        String agentVersion,
        Instant registeredAt,
        Instant updatedAt) {

    public Node {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** One GPU as {@code nvidia-smi --query-gpu} reports it. */
    public record Gpu(
            int index,
            String uuid,
            String name,
            Long memoryTotalMiB,
            Long memoryUsedMiB,
            Integer utilizationPercent,
            Integer temperatureC,
            Double powerW,
            boolean healthy) {
    }
}
