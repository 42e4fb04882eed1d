package dev.gantry.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Gantry's command line client, {@code bin/gantry job|node|config|kv ...}, run as a process as an operator types it.
 *
 * <pre>{@code
 * GantryCli.Run put = GantryCli.run(dir, Map.of(), List.of("kv", "put", "k", "v", "--endpoints", member.clientUrl()));
 * assertThat(put.exitCode()).isZero();
 * }</pre>
 */
public final class GantryCli {
    /** What one invocation left behind. */
    public record Run(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private static final long TIMEOUT_SECONDS = 60;

    private GantryCli() {
    }

    /**
     * Runs {@code bin/gantry args} in {@code dir} (where its output is kept) with {@code env} added to the environment.
     *
     * @throws IllegalStateException if it runs longer than a minute (it is killed)
     */
    public static Run run(Path dir, Map<String, String> env, List<String> args) {
        List<String> command = new ArrayList<>(Implementation.GANTRY.command().subList(0, 1));
        command.addAll(args);
        try {
            Path out = Files.createTempFile(dir, "gantry-cli", ".out");
            Path err = Files.createTempFile(dir, "gantry-cli", ".err");
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
                throw new IllegalStateException(String.join(" ", command) + " ran longer than " + TIMEOUT_SECONDS + " s");
            }
            return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
    }
}
