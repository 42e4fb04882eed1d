package dev.gantry.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.gantry.job.SpecReader;
import dev.gantry.job.TaskSpec;

/** examples/: every job spec is one the API accepts, and the CPU demo really runs and reports ms-swift-style progress. */
class ExamplesTest {
    /** ms-swift's trainer record, as the agent's progress parser reads it (worker-agent SwiftProgress). */
    private static final Pattern RECORD = Pattern.compile(
            "\\{'loss': [0-9]+\\.[0-9]+, 'global_step/max_steps': '(\\d+)/(\\d+)', 'percentage': '([0-9.]+)%', 'remaining_time': '(\\d+)s'}");

    private static TaskSpec read(String name) {
        return SpecReader.read(Checkout.read("examples/" + name), SpecReader.Format.YAML);
    }

    @Test
    void everyExampleIsAJobTheApiAccepts() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(Checkout.path("examples"))) {
            files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).extracting(p -> p.getFileName().toString())
                .contains("lora.yaml", "qlora.yaml", "full.yaml", "command-eval.yaml", "cpu-demo.yaml");
        for (Path file : files) {
            // SpecReader is what POST /api/v1/jobs runs: the YAML mapping and every SpecValidator rule.
            assertThatCode(() -> SpecReader.read(Files.readString(file), SpecReader.Format.YAML)).as(file.toString())
                    .doesNotThrowAnyException();
        }
    }

    @Test
    void theFineTunesUseMsSwiftWithTheirTrainType() {
        for (String type : TaskSpec.TRAIN_TYPES) {
            TaskSpec spec = read(type + ".yaml");
            assertThat(spec.runsCommand()).as(type).isFalse();
            assertThat(spec.trainType()).isEqualTo(type);
            assertThat(spec.model()).startsWith("Qwen/");
            assertThat(spec.datasets()).isNotEmpty().allSatisfy(d -> assertThat(d).startsWith("AI-ModelScope/"));
            assertThat(spec.gpus()).isPositive();
        }
        assertThat(read("full.yaml").hyperparameters().learningRate()).isLessThan(read("lora.yaml").hyperparameters().learningRate());
        assertThat(read("command-eval.yaml").command()).startsWith("swift", "eval");
    }

    @Test
    void theCpuDemoNeedsNoGpuAndRunsToSuccessPrintingProgress() {
        TaskSpec demo = read("cpu-demo.yaml");
        assertThat(demo.runsCommand()).isTrue();
        assertThat(demo.gpus()).isZero();
        assertThat(demo.env()).containsEntry("STEPS", "10");

        Map<String, String> env = new HashMap<>(demo.env());
        env.put("STEPS", "3"); // a shorter run than the example's 10 s
        Command.Result run = Command.run(Duration.ofSeconds(30), env, demo.command());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        List<Matcher> records = run.stdout().lines().map(RECORD::matcher).filter(Matcher::matches).toList();
        assertThat(records).as(run.stdout()).hasSize(3);
        for (int i = 0; i < records.size(); i++) {
            assertThat(records.get(i).group(1)).isEqualTo(String.valueOf(i + 1));
            assertThat(records.get(i).group(2)).isEqualTo("3");
            assertThat(records.get(i).group(4)).isEqualTo(String.valueOf(2 - i));
        }
        assertThat(records.getLast().group(3)).isEqualTo("100.00");
    }
}
