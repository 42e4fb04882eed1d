package dev.gantry.agent.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes: exit codes, output files, environment, and stopping a whole process group. */
class TaskProcessTest {
    @TempDir
    Path dir;

    @Test
    void runsInItsDirectoryWithItsEnvironmentAndKeepsItsOutput() throws Exception {
        TaskProcess process = TaskProcess.start(new Launch(List.of("bash", "-c", "pwd; echo \"gpus=$CUDA_VISIBLE_DEVICES\"; echo oops >&2; exit 3"),
                Map.of("CUDA_VISIBLE_DEVICES", "2,3")), dir.resolve("t1"));
        assertThat(process.exit().get(20, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(Files.readAllLines(process.stdout())).containsExactly(dir.resolve("t1").toRealPath().toString(), "gpus=2,3");
        assertThat(Files.readString(process.stderr())).isEqualTo("oops\n");
    }

    @Test
    void stoppingSignalsTheWholeGroupAndKillsWhatIgnoresTerm() throws Exception {
        // a shell that ignores SIGTERM, with a child that does too: only SIGKILL after the grace period ends them
        Path pids = dir.resolve("pids");
        TaskProcess process = TaskProcess.start(new Launch(List.of("bash", "-c",
                "trap '' TERM; (trap '' TERM; echo $BASHPID >> " + pids + "; while :; do sleep 0.1; done) & "
                        + "echo $$ >> " + pids + "; wait"), Map.of()), dir.resolve("t2"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((!Files.exists(pids) || Files.readAllLines(pids).size() < 2) && System.nanoTime() < deadline) {
            Thread.sleep(20); // polling interval
        }
        List<Long> started = Files.readAllLines(pids).stream().map(Long::parseLong).toList();
        assertThat(started).hasSize(2);

        long stopping = System.nanoTime();
        process.stop(Duration.ofMillis(500));
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
        assertThat(started).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true)));
        assertThat(process.isAlive()).isFalse();
    }

    @Test
    void aProcessThatHonoursTermEndsWithinTheGracePeriod() throws Exception {
        TaskProcess process = TaskProcess.start(new Launch(List.of("sleep", "600"), Map.of()), dir.resolve("t3"));
        long stopping = System.nanoTime();
        process.stop(Duration.ofSeconds(10));
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(Duration.ofSeconds(5));
        assertThat(process.exit().get(5, TimeUnit.SECONDS)).isEqualTo(143);
    }
}
