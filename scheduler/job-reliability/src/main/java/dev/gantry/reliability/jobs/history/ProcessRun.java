package dev.gantry.reliability.jobs.history;

import java.util.Set;

/**
 * A task's process group on one agent host, as the sampler saw it: alive from sweep {@code firstSweep} to sweep
 * {@code lastSweep} (it started after the sweep before the first and ended before the sweep after the last).
 *
 * @param gpus the GPU indexes of its {@code CUDA_VISIBLE_DEVICES}; empty for a task without GPUs
 */
public record ProcessRun(String node, String taskId, int attempt, long pgid, Set<Integer> gpus, int firstSweep,
        int lastSweep) {

    public boolean aliveAt(int sweep) {
        return firstSweep <= sweep && sweep <= lastSweep;
    }

    @Override
    public String toString() {
        return taskId + " attempt " + attempt + " on " + node + " (process group " + pgid + ", GPUs " + gpus + ")";
    }
}
