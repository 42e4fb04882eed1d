package dev.gantry.agent.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.gantry.job.Progress;

class SwiftProgressTest {
    private static final Instant NOW = Instant.parse("2026-11-21T06:00:00Z");

    @Test
    void aTrainerRecordOnStdout() {
        String line = "{'loss': 0.21, 'grad_norm': 1.43, 'learning_rate': 9.5e-05, 'memory(GiB)': 17.52, "
                + "'train_speed(iter/s)': 0.231, 'epoch': 0.26, 'global_step/max_steps': '45/176', "
                + "'percentage': '25.57%', 'elapsed_time': '3m 15s', 'remaining_time': '3h 12m 24s'}";
        assertThat(SwiftProgress.parse(line, NOW)).contains(new Progress(45L, 176L, 25.57, 0.21, 3 * 3600 + 12 * 60 + 24L, NOW));
    }

    @Test
    void aLoggingJsonlRecordWithoutLossOrEta() {
        String line = "{\"global_step/max_steps\": \"10/40\", \"eval_loss\": 1.5, \"epoch\": 0.25}";
        assertThat(SwiftProgress.parse(line, NOW)).contains(new Progress(10L, 40L, 25.0, null, null, NOW));
    }

    @Test
    void otherLinesAreNotProgress() {
        assertThat(SwiftProgress.parse("[INFO:swift] Downloading the model from ModelScope Hub...", NOW)).isEmpty();
        assertThat(SwiftProgress.parse("{'loss': 0.3}", NOW)).isEmpty();
        assertThat(SwiftProgress.parse("{'loss': nan, 'global_step/max_steps': '3/9'}", NOW))
                .hasValueSatisfying(p -> assertThat(p.loss()).as("a NaN loss is unknown").isNull());
    }

    @Test
    void durations() {
        assertThat(SwiftProgress.seconds("1d 2h")).isEqualTo(93600);
        assertThat(SwiftProgress.seconds("45s")).isEqualTo(45);
        assertThat(SwiftProgress.seconds("unknown")).isNull();
    }
}
