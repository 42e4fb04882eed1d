package dev.gantry.job;

import java.util.List;
import java.util.Map;

/**
 * What a user submits: a fine-tune job. Either an ms-swift job ({@code model}, {@code datasets},
 * {@code trainType}, optional {@code hyperparameters}), which the agent runs as {@code swift sft ...}, or a job
 * with its own {@code command}; not both. Optional fields are null when absent; {@link #withDefaults()} fills
 * the defaults in, and the stored spec is the one with defaults. {@code secretEnv} maps environment variables to
 * the names of secrets ({@code /secrets/<name>}): the spec holds only the names, the agent reads the values when it
 * starts the process.
 */
public record TaskSpec(
        String name,
        String model,
        List<String> datasets,
        String trainType,
        Hyperparameters hyperparameters,
        Resources resources,
        Integer priority,
        Integer maxRetries,
        List<String> command,
        Map<String, String> env,
        Map<String, String> secretEnv,
        Map<String, String> labels) {

    public static final List<String> TRAIN_TYPES = List.of("lora", "qlora", "full");
    public static final int DEFAULT_PRIORITY = 50;
    public static final int DEFAULT_MAX_RETRIES = 3;

    /** A spec without secret environment: what most callers (and every test fixture) build. */
    public TaskSpec(String name, String model, List<String> datasets, String trainType, Hyperparameters hyperparameters,
            Resources resources, Integer priority, Integer maxRetries, List<String> command, Map<String, String> env,
            Map<String, String> labels) {
        this(name, model, datasets, trainType, hyperparameters, resources, priority, maxRetries, command, env, null, labels);
    }

    /** A job that runs its own command rather than ms-swift. */
    public boolean runsCommand() {
        return command != null;
    }

    /** GPUs asked for, with the default applied: 1 for an ms-swift job, 0 for a command. */
    public int gpus() {
        if (resources != null && resources.gpus() != null) {
            return resources.gpus();
        }
        return runsCommand() ? 0 : 1;
    }

    public int priorityOrDefault() {
        return priority != null ? priority : DEFAULT_PRIORITY;
    }

    public int maxRetriesOrDefault() {
        return maxRetries != null ? maxRetries : DEFAULT_MAX_RETRIES;
    }

    /** This spec with every default written in, so a stored task says exactly what it asked for. */
    public TaskSpec withDefaults() {
        Resources r = resources == null ? new Resources(null, null, null) : resources;
        return new TaskSpec(name, model, datasets, trainType, hyperparameters,
                new Resources(gpus(), r.gpuModel(), r.minGpuMemoryGiB()),
                priorityOrDefault(), maxRetriesOrDefault(), command,
                env == null ? Map.of() : env, secretEnv == null ? Map.of() : secretEnv, labels == null ? Map.of() : labels);
    }

    /** ms-swift's training knobs; absent ones are left to ms-swift's own defaults. */
    public record Hyperparameters(
            Integer epochs,
            Double learningRate,
            Integer batchSize,
            Integer gradientAccumulationSteps,
            Integer loraRank,
            Integer loraAlpha,
            Integer maxLength,
            Double warmupRatio,
            Integer saveSteps,
            Integer evalSteps) {
    }

    /**
     * What the job needs from a node. {@code gpuModel} matches a GPU's name as a case-insensitive substring
     * ("H100" matches "NVIDIA H100 80GB HBM3").
     */
    public record Resources(Integer gpus, String gpuModel, Integer minGpuMemoryGiB) {
        /** Whether a GPU with this name and memory satisfies the model and memory asked for. */
        public boolean matches(String gpuName, long memoryTotalMiB) {
            boolean model = gpuModel == null
                    || (gpuName != null && gpuName.toLowerCase(java.util.Locale.ROOT).contains(gpuModel.toLowerCase(java.util.Locale.ROOT)));
            // Whole GiB, rounded: an "80GB" H100 reports 81559 MiB (79.6 GiB) and must match 80, as its name says.
            boolean memory = minGpuMemoryGiB == null || Math.round(memoryTotalMiB / 1024.0) >= minGpuMemoryGiB;
            return model && memory;
        }
    }
}
