package dev.gantry.api;

import java.util.List;
import java.util.Map;

import dev.gantry.job.TaskStatus;

/**
 * {@code GET /api/v1/views/overview}: the cluster in numbers, from this server's live copy of the store as of
 * {@code revision}.
 *
 * @param jobs  how many tasks are in each status (every status is present, 0 included)
 * @param nodes how many nodes are in each {@link NodeView#status()}
 * @param gpus  the GPUs of the nodes whose agents are up
 */
public record Overview(long revision, Map<TaskStatus, Integer> jobs, int jobsTotal, NodeCounts nodes, GpuCounts gpus,
        List<GpuModel> gpuModels) {

    public record NodeCounts(int total, int ready, int cordoned, int draining, int lost, int offline, int invalid) {
    }

    /**
     * {@code busy + free + unavailable = total}.
     *
     * @param busy        held by a task (an assignment names it)
     * @param free        healthy, not held, on a ready node: where a new task can go
     * @param unavailable not held, but unhealthy or on a cordoned or draining node
     */
    public record GpuCounts(int total, int busy, int free, int unavailable) {
    }

    /** The same counts for the GPUs of one model (their name as the agents report it). */
    public record GpuModel(String name, int total, int busy, int free) {
    }
}
