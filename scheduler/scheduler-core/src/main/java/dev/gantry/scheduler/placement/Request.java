package dev.gantry.scheduler.placement;

import java.util.ArrayList;
import java.util.List;

import dev.gantry.job.TaskSpec;

/**
 * What one task asks of a single node: a number of healthy GPUs whose name contains {@code gpuModel}
 * (case-insensitive) and that have at least {@code minGpuMemoryGiB} each. Null model or memory: any.
 */
public record Request(int gpus, String gpuModel, Integer minGpuMemoryGiB) {

    public static Request of(TaskSpec spec) {
        TaskSpec.Resources r = spec.resources();
        return new Request(spec.gpus(), r == null ? null : r.gpuModel(), r == null ? null : r.minGpuMemoryGiB());
    }

    /** Whether a GPU can serve this request (health is not its concern: NodeCapacity holds only healthy GPUs). */
    public boolean matches(GpuSlot gpu) {
        return new TaskSpec.Resources(gpus, gpuModel, minGpuMemoryGiB).matches(gpu.name(), gpu.memoryMiB());
    }

    /** "needs 4 GPUs (H100, ≥ 80 GiB) on one node", the start of every pending reason. */
    public String describe() {
        if (gpus == 0) {
            return "needs no GPU";
        }
        List<String> constraints = new ArrayList<>();
        if (gpuModel != null) {
            constraints.add(gpuModel);
        }
        if (minGpuMemoryGiB != null) {
            constraints.add("≥ " + minGpuMemoryGiB + " GiB");
        }
        return "needs " + gpus + (gpus == 1 ? " GPU" : " GPUs")
                + (constraints.isEmpty() ? "" : " (" + String.join(", ", constraints) + ")") + " on one node";
    }
}
