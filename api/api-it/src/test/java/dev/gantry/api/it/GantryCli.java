package dev.gantry.api.it;

import dev.gantry.it.cluster.Implementation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code bin/gantry ...} as a user runs it: its own process, its output captured in files under a test's directory. */
final class GantryCli {
    record Run(int exit, String out, String err) {
    }

    private GantryCli() {
    }

    /** Runs the CLI with {@code env} added to this JVM's environment (less any GANTRY_TOKEN of its own). */
    static Run run(Path dir, Map<String, String> env, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty(Implementation.GANTRY_HOME_PROPERTY), "bin", "gantry").toString());
        command.addAll(args);
        Path out = Files.createTempFile(dir, "cli", ".out");
        Path err = Files.createTempFile(dir, "cli", ".err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("GANTRY_TOKEN");
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("gantry " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
