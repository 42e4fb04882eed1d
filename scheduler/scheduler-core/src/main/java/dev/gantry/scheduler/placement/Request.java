package dev.gantry.scheduler.placement;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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

    /** Whether a GPU can serve this request (health is checked separately). */
    public boolean matches(GpuSlot gpu) {
        boolean model = gpuModel == null
                || (gpu.name() != null && gpu.name().toLowerCase(Locale.ROOT).contains(gpuModel.toLowerCase(Locale.ROOT)));
        boolean memory = minGpuMemoryGiB == null || gpu.memoryMiB() >= minGpuMemoryGiB * 1024L;
        return model && memory;
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
