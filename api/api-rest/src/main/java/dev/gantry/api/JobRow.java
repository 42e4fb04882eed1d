package dev.gantry.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.gantry.job.Progress;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.job.TaskStatus;

/**
 * One line of the jobs table: a task without its timeline and with only the spec fields a list shows.
 *
 * @param gpusRequested what the spec asks for; {@code gpus} what it holds now
 * @param what          the model of an ms-swift job, the program of a command job
 */
public record JobRow(
        String id,
        String name,
        TaskStatus status,
        int attempt,
        String node,
        List<String> gpus,
        int gpusRequested,
        String gpuModel,
        int priority,
        String what,
        String trainType,
        Map<String, String> labels,
        Progress progress,
        String reason,
        Instant createdAt,
        Instant updatedAt,
        Instant startedAt,
        Instant finishedAt) {

    static JobRow of(Task task) {
        TaskSpec spec = task.spec();
        String what = spec.runsCommand() ? String.join(" ", spec.command()) : spec.model();
        return new JobRow(task.id(), spec.name(), task.status(), task.attempt(), task.node(), task.gpus(), spec.gpus(),
                spec.resources() == null ? null : spec.resources().gpuModel(), spec.priorityOrDefault(), what, spec.trainType(),
                spec.labels(), task.progress(), task.reason(), task.createdAt(), task.updatedAt(), task.startedAt(), task.finishedAt());
    }
}
