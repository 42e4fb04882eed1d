package dev.gantry.job;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The value of {@code /nodes/<id>}: what an agent reports about its host, attached to the agent's lease (the key
 * disappears when the agent stops renewing). Operator intent (cordon, drain) is in {@link NodeState}, not here.
 *
 * @param simulated its GPUs were declared with {@code --simulate-gpus}, not discovered
 * @param agentUrl  where the agent serves its tasks' logs ({@code GET <agentUrl>/tasks/<id>/log}); null if it does not
 * @param notice    what the agent wants an operator to know, e.g. that it stopped its tasks after losing its lease
 * @param logToken  the bearer token the agent's log server requires: read by the API's log relay from the store,
 *                  never served by the API (so whoever may read {@code /nodes/} may read the logs, no one else)
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
        Instant updatedAt,
        String agentUrl,
        String notice,
        String logToken) {

    public Node {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A node that serves no logs and has nothing to report: test rigs and simulated nodes. */
    public Node(String id, String hostname, List<Gpu> gpus, boolean simulated, Integer cpus, Long memoryMiB,
            Map<String, String> labels, String agentVersion, Instant registeredAt, Instant updatedAt) {
        this(id, hostname, gpus, simulated, cpus, memoryMiB, labels, agentVersion, registeredAt, updatedAt, null, null, null);
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
