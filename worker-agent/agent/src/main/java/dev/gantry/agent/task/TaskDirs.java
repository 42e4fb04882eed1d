package dev.gantry.agent.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where task runs live on this host: {@code <work dir>/tasks/<task id>.<attempt>/}, holding the process's
 * {@code stdout.log}, {@code stderr.log}, {@code pid} and ms-swift's {@code output/}. Kept after the run, so that
 * logs can still be read and checkpoints collected.
 */
public final class TaskDirs {
    /** Task ids as the API makes them; anything else is refused before it can name a path. */
    private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
    private static final Pattern RUN = Pattern.compile("(.+)\\.(\\d+)");

    private TaskDirs() {
    }

    public static boolean validId(String taskId) {
        return TASK_ID.matcher(taskId).matches() && !taskId.contains("..");
    }

    static Path of(Path workDir, String taskId, int attempt) {
        if (!validId(taskId)) {
            throw new IllegalArgumentException("not a task id: " + taskId);
        }
        return workDir.resolve("tasks").resolve(taskId + "." + attempt);
    }

    /** The directory of the highest attempt of {@code taskId} run here. */
    static Optional<Path> latest(Path workDir, String taskId) {
        Path tasks = workDir.resolve("tasks");
        if (!validId(taskId) || !Files.isDirectory(tasks)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(tasks)) {
            return dirs.filter(dir -> taskId.equals(run(dir, 1))).max(Comparator.comparingInt(dir -> Integer.parseInt(run(dir, 2))));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String run(Path dir, int group) {
        Matcher m = RUN.matcher(dir.getFileName().toString());
        return m.matches() ? m.group(group) : null;
    }
}
