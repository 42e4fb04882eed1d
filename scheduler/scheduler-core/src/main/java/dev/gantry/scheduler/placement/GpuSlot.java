package dev.gantry.scheduler.placement;

import dev.gantry.job.Node;

/**
 * One GPU of a node as placement sees it. {@code id} is what a task's {@code gpus} list holds: the GPU's UUID
 * when the agent reports one, else its index.
 */
public record GpuSlot(String id, String name, long memoryMiB, boolean healthy) {

    public static GpuSlot of(Node.Gpu gpu) {
        String id = gpu.uuid() != null && !gpu.uuid().isBlank() ? gpu.uuid() : String.valueOf(gpu.index());
        return new GpuSlot(id, gpu.name(), gpu.memoryTotalMiB() == null ? 0 : gpu.memoryTotalMiB(), gpu.healthy());
    }
}
