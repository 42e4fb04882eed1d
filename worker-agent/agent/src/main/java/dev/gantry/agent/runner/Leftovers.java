package dev.gantry.agent.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Task processes a previous agent on this host left behind. Tasks run in their own sessions, so they outlive an
 * agent that was killed with SIGKILL; by the time a new agent starts, their tasks have been (or are about to be)
 * placed elsewhere, and they would hold the GPUs the new placements need. A run directory's {@code pid} file
 * names its process; it is only taken as ours while that process's working directory is still that run
 * directory, so a recycled pid is never signalled.
 */
public final class Leftovers {
    private Leftovers() {
    }

    /** The process-group leaders still running in run directories under {@code tasksDir}. */
    public static List<Long> find(Path tasksDir) {
        List<Long> alive = new ArrayList<>();
        if (!Files.isDirectory(tasksDir)) {
            return alive;
        }
        try (Stream<Path> dirs = Files.list(tasksDir)) {
            for (Path dir : dirs.toList()) {
                Path pidFile = dir.resolve("pid");
                if (!Files.isRegularFile(pidFile)) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(Files.readString(pidFile).strip());
                } catch (NumberFormatException | IOException e) {
                    continue;
                }
                if (runsIn(pid, dir)) {
                    alive.add(pid);
                }
            }
        } catch (IOException e) {
            return alive;
        }
        return alive;
    }

    private static boolean runsIn(long pid, Path dir) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", String.valueOf(pid), "cwd")).equals(dir.toRealPath());
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** SIGKILL to each leader's process group. */
    public static void kill(List<Long> leaders) {
        for (long pid : leaders) {
            try {
                new ProcessBuilder("kill", "-KILL", "--", "-" + pid).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            } catch (IOException e) {
                // nothing more to do: the operator sees the process in the log line below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
