package dev.gantry.reliability.jobs.workload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.gantry.it.cluster.Implementation;

/**
 * A GPU host of the run: a real {@code bin/gantry agent} process with simulated GPUs, its work dir and log in a
 * directory of its own, in an OS group of its own when {@code groupId} is not 0 (so the firewall can cut it off).
 * It can be killed (SIGKILL to the agent's JVM only: its task processes, in sessions of their own, live on, as
 * they do when an agent crashes) and started again on the same work dir.
 */
public final class AgentHost implements AutoCloseable {
    private final String node;
    private final Path workDir;
    private final Path log;
    private final int groupId;
    private final List<String> command;
    private volatile Process process;

    private AgentHost(String node, Path dir, int groupId, List<String> command) {
        this.node = node;
        this.workDir = dir.resolve("work");
        this.log = dir.resolve("agent.log");
        this.groupId = groupId;
        this.command = command;
    }

    /**
     * Starts an agent for {@code node} with {@code gpus} (as {@code --simulate-gpus} takes them), a lease of
     * {@code leaseTtl} and a stop grace of {@code stopGrace}, talking to {@code endpoints}.
     */
    public static AgentHost start(String node, Path dir, String endpoints, String gpus, Duration leaseTtl,
            Duration stopGrace, int groupId) {
        Path launcher = Path.of(System.getProperty(Implementation.GANTRY_HOME_PROPERTY, "../.."))
                .toAbsolutePath().resolve("bin/gantry");
        List<String> command = new ArrayList<>();
        if (groupId != 0) {
            command.addAll(List.of("setpriv", "--regid=" + groupId, "--clear-groups", "--"));
        }
        command.addAll(List.of(launcher.toString(), "agent", "--endpoints", endpoints, "--node-id", node,
                "--simulate-gpus", gpus, "--lease-ttl", String.valueOf(leaseTtl.toSeconds()),
                "--work-dir", dir.resolve("work").toString(), "--listen-logs", "127.0.0.1:0",
                "--stop-grace", stopGrace.toMillis() + "ms", "--progress-interval", "300ms", "--telemetry-interval", "2s"));
        AgentHost host = new AgentHost(node, dir, groupId, List.copyOf(command));
        host.launch();
        return host;
    }

    public String node() {
        return node;
    }

    public Path workDir() {
        return workDir;
    }

    /** The group the firewall names it by; 0 when it runs in the test's. */
    public int groupId() {
        return groupId;
    }

    /** Starts the agent (again). */
    public void launch() {
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "==== " + Instant.now() + " starting " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the agent of " + node, e);
        }
    }

    /** SIGKILL to the agent's JVM (setpriv and the launcher exec it), and nothing else; returns once it is gone. */
    public void kill9() {
        Process current = process;
        current.destroyForcibly();
        current.toHandle().onExit().join();
    }

    public boolean isRunning() {
        Process current = process;
        return current != null && current.isAlive();
    }

    /** The last lines of the agent's log, for failure messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return "\n---- last " + lines + " lines of the agent of " + node + " (" + log + ") ----\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "\n(no log for the agent of " + node + ")";
        }
    }

    /** Stops the agent (SIGTERM, SIGKILL after 30 s), then kills whatever task process is left on its host. */
    @Override
    public void close() {
        Process current = process;
        if (current != null && current.isAlive()) {
            current.destroy();
            try {
                if (!current.waitFor(30, TimeUnit.SECONDS)) {
                    current.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Path tasks = workDir.resolve("tasks");
        if (!Files.isDirectory(tasks)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(tasks)) {
            for (Path pid : dirs.map(dir -> dir.resolve("pid")).filter(Files::isRegularFile).toList()) {
                new ProcessBuilder("kill", "-KILL", "--", "-" + Files.readString(pid).strip()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            // nothing more to kill
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
