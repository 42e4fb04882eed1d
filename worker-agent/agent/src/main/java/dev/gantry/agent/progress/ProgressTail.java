package dev.gantry.agent.progress;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import dev.gantry.job.Progress;

/**
 * Follows a running task's progress records as they are written: the lines its process prints to stdout, and
 * ms-swift's {@code logging.jsonl}, which it writes under a run directory it creates inside the output dir
 * ({@code output/v0-20251120-101010/logging.jsonl}). The most advanced record of either wins.
 */
public final class ProgressTail {
    private static final int MAX_LINE = 64 * 1024;
    private final Path outputDir;
    private final FileCursor stdoutCursor;
    private FileCursor jsonlCursor;
    private Progress latest;

    public ProgressTail(Path stdout, Path outputDir) {
        this.outputDir = outputDir;
        this.stdoutCursor = new FileCursor(stdout);
    }

    /** Reads what was appended since the last call; the latest progress so far (the same object if nothing new). */
    public Progress poll() {
        read(stdoutCursor);
        if (jsonlCursor == null) {
            findJsonl().ifPresent(path -> jsonlCursor = new FileCursor(path));
        }
        if (jsonlCursor != null) {
            read(jsonlCursor);
        }
        return latest;
    }

    private void read(FileCursor cursor) {
        for (String line : cursor.newLines()) {
            SwiftProgress.parse(line, Instant.now()).ifPresent(p -> {
                if (latest == null || latest.step() == null || p.step() == null || p.step() >= latest.step()) {
                    latest = p;
                }
            });
        }
    }

    private Optional<Path> findJsonl() {
        if (!Files.isDirectory(outputDir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.find(outputDir, 3, (path, attrs) -> path.getFileName().toString().equals("logging.jsonl"))) {
            return files.findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The last {@code n} lines of a text file (reading at most its last MiB). */
    public static List<String> lastLines(Path file, int n) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long length = raf.length();
            long from = Math.max(0, length - 1024 * 1024);
            byte[] bytes = new byte[(int) (length - from)];
            raf.seek(from);
            raf.readFully(bytes);
            String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\\R");
            Deque<String> last = new ArrayDeque<>();
            for (int i = from > 0 ? 1 : 0; i < lines.length; i++) { // from > 0: the first line is cut
                last.addLast(lines[i]);
                if (last.size() > n) {
                    last.removeFirst();
                }
            }
            return new ArrayList<>(last);
        }
    }

    /** Where reading a growing file got to; hands out complete lines only. */
    private static final class FileCursor {
        private final Path file;
        private long offset;
        private final StringBuilder partial = new StringBuilder();

        FileCursor(Path file) {
            this.file = file;
        }

        List<String> newLines() {
            List<String> lines = new ArrayList<>();
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                long length = raf.length();
                if (length <= offset) {
                    return lines;
                }
                byte[] bytes = new byte[(int) Math.min(length - offset, 4 * 1024 * 1024)];
                raf.seek(offset);
                raf.readFully(bytes);
                offset += bytes.length;
                partial.append(new String(bytes, StandardCharsets.UTF_8));
            } catch (IOException e) {
                return lines; // not there yet
            }
            int newline;
            while ((newline = partial.indexOf("\n")) >= 0) {
                lines.add(partial.substring(0, newline));
                partial.delete(0, newline + 1);
            }
            if (partial.length() > MAX_LINE) { // a line without end (a progress bar's \r updates): drop it
                partial.setLength(0);
            }
            return lines;
        }
    }
}
