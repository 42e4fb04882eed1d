package dev.gantry.it.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** What a test class started and wrote, gone after it: everything closed in order, then its directory deleted. */
final class Cleanup {
    private Cleanup() {
    }

    /** Closes each (nulls skipped) and deletes {@code dir} with all it holds (null: nothing to delete). */
    static void closeAndDelete(Path dir, AutoCloseable... started) throws IOException {
        for (AutoCloseable closeable : started) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + closeable + " failed", e);
                }
            }
        }
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
