package dev.gantry.agent.runner;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.gantry.job.TaskSpec;

/**
 * The process a task runs as: its command line and environment. By default the ms-swift CLI built from the
 * spec ({@code swift sft ...}, flags as in ms-swift's command-line reference); a task may give its own command
 * instead. Either way {@code CUDA_VISIBLE_DEVICES} names exactly the GPUs the scheduler assigned. The environment
 * holds the task's secret values ({@code secretEnv}), so {@link #toString()} names the variables only.
 */
public record Launch(List<String> command, Map<String, String> env) {

    /** What QLoRA adds to a LoRA run: 4-bit NF4 base weights through bitsandbytes. */
    static final List<String> QLORA = List.of("--quant_method", "bnb", "--quant_bits", "4",
            "--bnb_4bit_compute_dtype", "bfloat16", "--bnb_4bit_quant_type", "nf4", "--bnb_4bit_use_double_quant", "true");

    /**
     * @param gpus the assigned GPUs' indexes on this host
     * @param outputDir where ms-swift writes checkpoints and {@code logging.jsonl} (the task's own directory)
     * @param secretEnv the values of the spec's {@code secretEnv}, by variable
     */
    public static Launch of(TaskSpec spec, List<Integer> gpus, Path outputDir, Map<String, String> secretEnv) {
        Map<String, String> env = new LinkedHashMap<>(spec.env() == null ? Map.of() : spec.env());
        env.putAll(secretEnv);
        env.put("CUDA_VISIBLE_DEVICES", gpus.stream().map(String::valueOf).collect(Collectors.joining(",")));
        env.put("GANTRY_OUTPUT_DIR", outputDir.toString()); // where a command job should write what it keeps
        if (spec.runsCommand()) {
            return new Launch(List.copyOf(spec.command()), env);
        }
        if (gpus.size() > 1) {
            env.put("NPROC_PER_NODE", String.valueOf(gpus.size())); // ms-swift starts one process per GPU (torchrun)
        }
        List<String> argv = new java.util.ArrayList<>(List.of("swift", "sft", "--model", spec.model()));
        argv.add("--dataset");
        argv.addAll(spec.datasets());
        argv.addAll(List.of("--train_type", "qlora".equals(spec.trainType()) ? "lora" : spec.trainType()));
        if ("qlora".equals(spec.trainType())) {
            argv.addAll(QLORA);
        }
        TaskSpec.Hyperparameters h = spec.hyperparameters();
        if (h != null) {
            flag(argv, "--num_train_epochs", h.epochs());
            flag(argv, "--learning_rate", h.learningRate());
            flag(argv, "--per_device_train_batch_size", h.batchSize());
            flag(argv, "--gradient_accumulation_steps", h.gradientAccumulationSteps());
            if (!"full".equals(spec.trainType())) {
                flag(argv, "--lora_rank", h.loraRank());
                flag(argv, "--lora_alpha", h.loraAlpha());
            }
            flag(argv, "--max_length", h.maxLength());
            flag(argv, "--warmup_ratio", h.warmupRatio());
            flag(argv, "--save_steps", h.saveSteps());
            flag(argv, "--eval_steps", h.evalSteps());
        }
        argv.addAll(List.of("--output_dir", outputDir.toString()));
        return new Launch(List.copyOf(argv), env);
    }

    @Override
    public String toString() {
        return "Launch[command=" + command + ", env=" + env.keySet() + "]";
    }

    private static void flag(List<String> argv, String flag, Number value) {
        if (value != null) {
            argv.add(flag);
            argv.add(String.valueOf(value)); // Python's float() reads Java's 1.0E-4
        }
    }
}
