package dev.gantry.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The README, followed literally: its first command (the server) in the background, then the commands of "Your
 * first job" — the CPU demo submitted with the CLI — until the job has SUCCEEDED, then the server stopped with
 * SIGTERM. The commands run in a scratch directory that links the checkout's bin/, server/ and examples/, so
 * {@code ./gantry-data} is the test's own; the server takes its default ports (2379, 2380, 2381), as a
 * newcomer's would.
 */
class QuickStartIT {
    private static final Pattern JOB_ID = Pattern.compile("job (\\S+) submitted");
    private final HttpClient http = HttpClient.newHttpClient();
    private Path dir;
    private Process server;

    @BeforeEach
    void scratch() throws IOException {
        dir = Files.createTempDirectory("gantry-quickstart");
        for (String linked : List.of("bin", "server", "examples")) {
            Files.createSymbolicLink(dir.resolve(linked), Checkout.path(linked));
        }
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (server != null && server.isAlive()) {
            server.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    @Test
    void theReadmesFirstCommandRunsTheCpuDemoToSuccess() throws Exception {
        List<String> first = commands(Checkout.read("README.md"), null);
        assertThat(first.get(0)).as("the README's first command").isEqualTo("bin/gantry server");
        assertThat(first.get(1)).as("the README's second command").isEqualTo("bin/test");
        List<String> demo = commands(Checkout.read("README.md"), "## Your first job");
        assertThat(demo.get(0)).isEqualTo("bin/gantry job submit -f examples/cpu-demo.yaml");

        Path log = dir.resolve("server.log");
        server = new ProcessBuilder("bash", "-c", first.get(0)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        await("the server healthy", Duration.ofSeconds(180), () -> {
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://localhost:2381/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return health.statusCode() == 200 && health.body().contains("\"health\":\"true\"");
        }, log);
        assertThat(Files.readString(log)).as("the console's URL printed").contains("Web console: http://localhost:2381/");

        Command.Result submitted = run(demo.get(0));
        assertThat(submitted.exitCode()).as(submitted.toString()).isZero();
        Matcher id = JOB_ID.matcher(submitted.stdout());
        assertThat(id.find()).as(submitted.stdout()).isTrue();
        String job = id.group(1);

        String[] status = new String[1];
        await(job + " SUCCEEDED", Duration.ofSeconds(120), () -> {
            JsonNode task = new ObjectMapper().readTree(run("bin/gantry job get " + job + " -o json").stdout());
            status[0] = task.path("status").asText();
            if (List.of("FAILED", "CANCELLED").contains(status[0])) {
                throw new AssertionError(job + " ended " + status[0] + ": " + task.path("reason").asText());
            }
            return status[0].equals("SUCCEEDED");
        }, log);
        Command.Result logs = run("bin/gantry job logs " + job);
        assertThat(logs.stdout()).contains("'global_step/max_steps': '10/10'").contains("[INFO:demo] done");
        Command.Result listed = run(demo.get(1));
        assertThat(listed.stdout()).contains(job).contains("SUCCEEDED");

        server.toHandle().destroy(); // SIGTERM, as Ctrl-C or a service manager stops it
        assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("the server stops within a minute").isTrue();
        assertThat(Files.readString(log)).contains("stopped");
    }

    /** The commands of the first bash block after {@code heading} (null: the README's first), comments cut off. */
    static List<String> commands(String readme, String heading) {
        int from = heading == null ? 0 : readme.indexOf(heading);
        assertThat(from).as("README section " + heading).isNotNegative();
        int start = readme.indexOf("```bash\n", from) + "```bash\n".length();
        int end = readme.indexOf("```", start);
        List<String> commands = new ArrayList<>();
        for (String line : readme.substring(start, end).split("\n")) {
            String command = line.replaceAll("\\s+#.*$", "").strip();
            if (!command.isEmpty()) {
                commands.add(command);
            }
        }
        return commands;
    }

    private Command.Result run(String command) {
        return Command.run(Duration.ofSeconds(60), Map.of(), List.of("bash", "-c", "cd " + dir + " && " + command));
    }

    interface Probe {
        boolean holds() throws Exception;
    }

    private static void await(String what, Duration timeout, Probe probe, Path log) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (probe.holds()) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(250); // polling interval
        }
        throw new AssertionError("timed out waiting for " + what + (last != null ? " (" + last + ")" : "") + "\n"
                + String.join("\n", Files.readAllLines(log).stream().skip(Math.max(0, Files.readAllLines(log).size() - 40)).toList()));
    }
}
