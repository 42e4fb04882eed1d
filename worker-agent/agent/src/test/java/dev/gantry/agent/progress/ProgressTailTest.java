package dev.gantry.agent.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.gantry.job.Progress;

class ProgressTailTest {
    @TempDir
    Path dir;

    private void append(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void readsCompleteLinesAsTheyAreAppendedAndKeepsTheMostAdvancedRecord() throws Exception {
        Path stdout = dir.resolve("stdout.log");
        ProgressTail tail = new ProgressTail(stdout, dir.resolve("output"));
        assertThat(tail.poll()).as("nothing written yet").isNull();

        append(stdout, "[INFO:swift] loading\n{'loss': 0.9, 'global_step/max_steps': '1/10', 'percentage': '10.00%'}\n{'loss': 0.8, 'glo");
        Progress first = tail.poll();
        assertThat(first.step()).isEqualTo(1);
        assertThat(tail.poll()).as("nothing new: the same record").isSameAs(first);

        append(stdout, "bal_step/max_steps': '2/10', 'percentage': '20.00%', 'remaining_time': '1m 3s'}\n");
        Progress second = tail.poll();
        assertThat(second.step()).isEqualTo(2);
        assertThat(second.loss()).isEqualTo(0.8);
        assertThat(second.etaSeconds()).isEqualTo(63);
    }

    @Test
    void findsMsSwiftsLoggingJsonlInTheRunDirectoryItCreates() throws Exception {
        Path output = dir.resolve("output");
        ProgressTail tail = new ProgressTail(dir.resolve("stdout.log"), output);
        append(output.resolve("v0-20261121-101010/logging.jsonl"), "{\"loss\": 0.5, \"global_step/max_steps\": \"5/10\"}\n");
        assertThat(tail.poll().step()).isEqualTo(5);
        append(dir.resolve("stdout.log"), "{'loss': 0.9, 'global_step/max_steps': '3/10'}\n");
        assertThat(tail.poll().step()).as("an older record does not move progress back").isEqualTo(5);
    }

    @Test
    void lastLinesSkipsTheCutFirstLineOfALongFile() throws Exception {
        Path file = dir.resolve("big.log");
        append(file, "x".repeat(2 * 1024 * 1024) + "\nsecond-last\nlast\n");
        assertThat(ProgressTail.lastLines(file, 2)).containsExactly("second-last", "last");
        assertThat(ProgressTail.lastLines(dir.resolve("missing.log"), 5)).isEmpty();
    }
}
