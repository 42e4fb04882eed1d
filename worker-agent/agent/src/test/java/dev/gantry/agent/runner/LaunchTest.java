package dev.gantry.agent.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.gantry.job.TaskSpec;

/** The ms-swift command lines, against the flags of ms-swift's command-line reference and its examples. */
class LaunchTest {
    private static final Path OUT = Path.of("/var/lib/gantry/tasks/t1/output");

    private static TaskSpec spec(String trainType, TaskSpec.Hyperparameters h, List<String> command, Map<String, String> env) {
        return new TaskSpec("qwen", command == null ? "Qwen/Qwen2.5-7B-Instruct" : null,
                command == null ? List.of("AI-ModelScope/alpaca-gpt4-data-en#500", "swift/self-cognition#500") : null,
                command == null ? trainType : null, h, null, null, null, command, env, null);
    }

    @Test
    void loraOnOneGpu() {
        Launch launch = Launch.of(spec("lora", new TaskSpec.Hyperparameters(1, 1e-4, 1, 16, 8, 32, 2048, 0.05, 50, 50), null, null),
                List.of(3), OUT, Map.of());
        assertThat(launch.command()).containsExactly("swift", "sft", "--model", "Qwen/Qwen2.5-7B-Instruct",
                "--dataset", "AI-ModelScope/alpaca-gpt4-data-en#500", "swift/self-cognition#500",
                "--train_type", "lora", "--num_train_epochs", "1", "--learning_rate", "1.0E-4",
                "--per_device_train_batch_size", "1", "--gradient_accumulation_steps", "16", "--lora_rank", "8",
                "--lora_alpha", "32", "--max_length", "2048", "--warmup_ratio", "0.05", "--save_steps", "50",
                "--eval_steps", "50", "--output_dir", OUT.toString());
        assertThat(launch.env()).containsEntry("CUDA_VISIBLE_DEVICES", "3").doesNotContainKey("NPROC_PER_NODE")
                .containsEntry("GANTRY_OUTPUT_DIR", OUT.toString());
    }

    @Test
    void loraOnTwoGpusRunsOneProcessPerGpu() {
        Launch launch = Launch.of(spec("lora", null, null, null), List.of(0, 1), OUT, Map.of());
        assertThat(launch.command()).containsSequence("--train_type", "lora").doesNotContain("--quant_method");
        assertThat(launch.env()).containsEntry("CUDA_VISIBLE_DEVICES", "0,1").containsEntry("NPROC_PER_NODE", "2");
    }

    @Test
    void qloraOnTwoGpusKeepsItsQuantisationFlags() {
        Launch launch = Launch.of(spec("qlora", null, null, null), List.of(2, 3), OUT, Map.of());
        assertThat(launch.command()).containsSequence("--quant_method", "bnb", "--quant_bits", "4");
        assertThat(launch.env()).containsEntry("CUDA_VISIBLE_DEVICES", "2,3").containsEntry("NPROC_PER_NODE", "2");
    }

    @Test
    void fullFineTuneOnOneGpu() {
        Launch launch = Launch.of(spec("full", null, null, null), List.of(0), OUT, Map.of());
        assertThat(launch.command()).containsSequence("--train_type", "full").endsWith("--output_dir", OUT.toString());
        assertThat(launch.env()).containsEntry("CUDA_VISIBLE_DEVICES", "0").doesNotContainKey("NPROC_PER_NODE");
    }

    @Test
    void qloraIsLoraOnFourBitNf4Weights() {
        Launch launch = Launch.of(spec("qlora", null, null, null), List.of(0), OUT, Map.of());
        String line = String.join(" ", launch.command());
        assertThat(line).contains("--train_type lora --quant_method bnb --quant_bits 4 --bnb_4bit_compute_dtype bfloat16"
                + " --bnb_4bit_quant_type nf4 --bnb_4bit_use_double_quant true");
        assertThat(line).doesNotContain("qlora");
    }

    @Test
    void fullFineTuneOnFourGpusRunsOneProcessPerGpuAndTakesNoLoraFlags() {
        Launch launch = Launch.of(spec("full", new TaskSpec.Hyperparameters(3, 1e-5, 2, null, 8, 32, null, null, null, null), null, null),
                List.of(4, 5, 6, 7), OUT, Map.of());
        assertThat(launch.command()).contains("--train_type", "full").doesNotContain("--lora_rank", "--lora_alpha");
        assertThat(launch.env()).containsEntry("CUDA_VISIBLE_DEVICES", "4,5,6,7").containsEntry("NPROC_PER_NODE", "4");
    }

    @Test
    void aTaskWithItsOwnCommandRunsItWithItsEnvironmentAndItsGpus() {
        Launch launch = Launch.of(spec(null, null, List.of("python3", "train.py", "--epochs", "2"), Map.of("SEED", "7")),
                List.of(), OUT, Map.of());
        assertThat(launch.command()).containsExactly("python3", "train.py", "--epochs", "2");
        assertThat(launch.env()).containsEntry("SEED", "7").containsEntry("CUDA_VISIBLE_DEVICES", "");
    }

    @Test
    void secretValuesGoIntoTheEnvironmentOnlyAndToStringNamesTheirVariables() {
        Launch launch = Launch.of(spec(null, null, List.of("sh", "-c", "run"), Map.of("SEED", "7")), List.of(), OUT,
                Map.of("HF_TOKEN", "hf_do-not-print"));
        assertThat(launch.env()).containsEntry("HF_TOKEN", "hf_do-not-print");
        assertThat(launch.command()).noneMatch(arg -> arg.contains("hf_do-not-print"));
        assertThat(launch.toString()).contains("HF_TOKEN").doesNotContain("hf_do-not-print");
    }
}
