package dev.gantry.it.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.gantry.agent.runner.Leftovers;

/**
 * A real {@code bin/gantry agent} process with simulated GPUs, its work dir and log in a test directory, and the
 * fixture trainer first on its PATH as {@code swift}.
 */
final class AgentProcess implements AutoCloseable {
    final String nodeId;
    final Path workDir;
    final Path log;
    private final List<String> command;
    private final Map<String, String> env;
    private Process process;

    private AgentProcess(String nodeId, Path dir, List<String> command, Map<String, String> env) {
        this.nodeId = nodeId;
        this.workDir = dir.resolve("work");
        this.log = dir.resolve("agent.log");
        this.command = command;
        this.env = env;
    }

    static AgentProcess start(String nodeId, Path dir, String endpoints, String gpus, long leaseTtl, Path trainerDir) {
        return start(nodeId, dir, endpoints, gpus, leaseTtl, trainerDir, List.of());
    }

    /** With more flags, e.g. {@code --user} and {@code --password-file}. */
    static AgentProcess start(String nodeId, Path dir, String endpoints, String gpus, long leaseTtl, Path trainerDir,
            List<String> extraFlags) {
        Path launcher = Path.of(System.getProperty("gantry.home", "../..")).toAbsolutePath().resolve("bin/gantry");
        List<String> command = new ArrayList<>(List.of(launcher.toString(), "agent", "--endpoints", endpoints, "--node-id",
                nodeId, "--simulate-gpus", gpus, "--lease-ttl", String.valueOf(leaseTtl), "--work-dir", dir.resolve("work").toString(),
                "--listen-logs", "127.0.0.1:0", "--stop-grace", "2s", "--progress-interval", "300ms", "--telemetry-interval", "2s"));
        command.addAll(extraFlags);
        Map<String, String> env = Map.of("PATH", trainerDir + ":" + System.getenv("PATH"));
        AgentProcess agent = new AgentProcess(nodeId, dir, command, env);
        agent.launch();
        return agent;
    }

    /** Puts the fixture trainer into {@code dir/bin} as {@code swift}; returns that directory, for the agents' PATH. */
    static Path installTrainer(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        try (InputStream trainer = AgentProcess.class.getResourceAsStream("/trainer/swift")) {
            Files.copy(trainer, bin.resolve("swift"));
        }
        Files.setPosixFilePermissions(bin.resolve("swift"), PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    void launch() {
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "==== " + Instant.now() + " starting " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(env);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start agent " + nodeId, e);
        }
    }

    /**
     * SIGKILL to the agent's JVM (the launcher execs it) and nothing else: its task processes, in sessions of their
     * own, live on, as they do when an agent crashes.
     */
    void kill9() {
        process.destroyForcibly();
        process.toHandle().onExit().join();
    }

    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** SIGTERM, as an operator's stop: the agent hands its tasks back and exits. */
    void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        List<ProcessHandle> tree = Stream.concat(process.toHandle().descendants(), Stream.of(process.toHandle())).toList();
        tree.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                tree.forEach(ProcessHandle::destroyForcibly);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The directory of a task's run on this agent: its pid file, logs and output. */
    Path runDir(String taskId, int attempt) {
        return workDir.resolve("tasks").resolve(taskId + "." + attempt);
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return "\n--- " + nodeId + " agent log ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "\n(no log for " + nodeId + ")";
        }
    }

    /** Every process group a run of this agent left (an agent killed with SIGKILL leaves its trainers running). */
    void killTaskProcesses() {
        Leftovers.kill(Leftovers.find(workDir.resolve("tasks")));
    }

    @Override
    public void close() {
        stop();
        killTaskProcesses();
    }

    static Duration since(Instant t) {
        return Duration.between(t, Instant.now());
    }
}
