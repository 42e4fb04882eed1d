package dev.gantry.agent.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A task's process: started as the leader of its own session and process group (through {@code setsid}), in
 * the task's directory, with stdout and stderr going to files there. Stopping it signals the whole group —
 * ms-swift's torchrun workers, a shell's children — first with SIGTERM, then SIGKILL after a grace period.
 */
public final class TaskProcess {
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private TaskProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code launch} in {@code dir} (created if needed); output goes to {@code dir/stdout.log, stderr.log}. */
    public static TaskProcess start(Launch launch, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path stdout = dir.resolve("stdout.log");
        Path stderr = dir.resolve("stderr.log");
        List<String> command = new ArrayList<>(List.of("setsid"));
        command.addAll(launch.command());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
        builder.environment().putAll(launch.env());
        return new TaskProcess(builder.start(), stdout, stderr);
    }

    public long pid() {
        return process.pid();
    }

    public Path stdout() {
        return stdout;
    }

    public Path stderr() {
        return stderr;
    }

    /** Completes with the exit code (128 + signal for a process killed by a signal, as shells report it). */
    public CompletableFuture<Integer> exit() {
        return process.onExit().thenApply(Process::exitValue);
    }

    /** Waits up to {@code timeout} for the process to exit; whether it has. */
    public boolean waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The exit code of a process that has exited (128 + signal when a signal ended it). */
    public int exitCode() {
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive() || groupAlive();
    }

    /** SIGTERM to the group; SIGKILL to what is left of it after {@code grace}. Returns once the group is gone. */
    public void stop(Duration grace) throws InterruptedException {
        signalGroup("TERM");
        long deadline = System.nanoTime() + grace.toNanos();
        while (isAlive() && System.nanoTime() < deadline) {
            process.waitFor(50, TimeUnit.MILLISECONDS);
        }
        if (isAlive()) {
            signalGroup("KILL");
            // The leader too: stopped right after start, setsid may not have made it a group leader yet (then the
            // group signals found no group, and waitFor below would wait for the task to end on its own).
            process.destroyForcibly();
        }
        process.waitFor();
        long killDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (groupAlive() && System.nanoTime() < killDeadline) {
            Thread.sleep(20); // polling interval
        }
    }

    /** Whether any process of the group is left ({@code kill -0 -PGID}). */
    private boolean groupAlive() {
        return signalGroup("0");
    }

    private boolean signalGroup(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, "--", "-" + process.pid())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return kill.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
