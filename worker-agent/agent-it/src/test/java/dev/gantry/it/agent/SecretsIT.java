package dev.gantry.it.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Etcdctl;
import dev.gantry.it.cluster.GantryCli;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;

/**
 * Secrets end to end (issue 9, "secrets never in logs, never in /tasks values"): a real server and a real agent.
 * A secret set through the CLI reaches a job's process as an environment variable — the job proves it by the
 * value's SHA-256 — and the value then appears in no server or agent log, no API answer (the job's own log shows
 * {@code ***} where the job printed it), and no {@code /tasks/} value.
 */
class SecretsIT {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String NODE = "gpu-s";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Cluster cluster;
    private static AgentProcess agent;
    private static Path dir;
    private static String base;

    @BeforeAll
    static void start() throws IOException {
        cluster = Cluster.start(Implementation.GANTRY, 1, List.of("--scheduler=on"));
        base = cluster.members().getFirst().httpUrl() + "/api/v1";
        dir = Files.createTempDirectory("gantry-secrets-it");
        agent = AgentProcess.start(NODE, dir.resolve(NODE), cluster.endpoints(), "1xH100-80GB", 10, Files.createDirectories(dir.resolve("bin")));
        Await.until("the agent registered", DEADLINE, () -> Optional.of(get("/nodes/" + NODE)).filter(r -> r.statusCode() == 200),
                SecretsIT::logs);
    }

    @AfterAll
    static void stop() throws IOException {
        Cleanup.closeAndDelete(dir, agent, cluster);
    }

    @Test
    void aJobGetsItsSecretInItsEnvironmentAndTheValueAppearsInNoLogNoApiAnswerAndNoStoredTask() throws Exception {
        String value = "gantry-it-" + UUID.randomUUID();
        GantryCli.Run set = cli(Map.of("HF_SECRET_VALUE", value), "secret", "set", "hf-token", "--from-env", "HF_SECRET_VALUE");
        assertThat(set.exitCode()).as(set.toString()).isZero();
        assertThat(set.stdout()).isEqualTo("secret hf-token set (" + value.length() + " bytes)\n");

        // Exit 0 only if the process got exactly the value; it also prints it, as a careless job would.
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", "uses-secret");
        spec.put("command", List.of("sh", "-c", "echo \"token: $HF_TOKEN\"; echo \"on stderr: $HF_TOKEN\" >&2; "
                + "test \"$(printf %s \"$HF_TOKEN\" | sha256sum | cut -d' ' -f1)\" = \"$EXPECTED_SHA256\""));
        spec.put("env", Map.of("EXPECTED_SHA256", sha256(value)));
        spec.put("secretEnv", Map.of("HF_TOKEN", "hf-token"));
        HttpResponse<String> submitted = send(request("/jobs").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(spec))));
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
        String id = Json.read(submitted.body(), Task.class).id();
        Task done = Await.until(id + " finished", DEADLINE,
                () -> Optional.of(Json.read(get("/jobs/" + id).body(), Task.class)).filter(t -> t.status().isTerminal()), SecretsIT::logs);
        assertThat(done.status()).as(done.reason() + logs()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.spec().secretEnv()).containsExactly(Map.entry("HF_TOKEN", "hf-token"));

        assertThat(get("/jobs/" + id + "/logs").body()).isEqualTo("token: ***\n");
        assertThat(get("/jobs/" + id + "/logs?stream=stderr").body()).isEqualTo("on stderr: ***\n");
        assertThat(get("/jobs/" + id + "/logs?follow=true").body()).isEqualTo("token: ***\n");

        // A failure's reason is the last stderr line: masked too.
        spec.put("name", "fails-with-secret");
        spec.put("command", List.of("sh", "-c", "echo \"cannot log in with $HF_TOKEN\" >&2; exit 1"));
        HttpResponse<String> failing = send(request("/jobs").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(spec))));
        String failingId = Json.read(failing.body(), Task.class).id();
        Task failed = Await.until(failingId + " finished", DEADLINE,
                () -> Optional.of(Json.read(get("/jobs/" + failingId).body(), Task.class)).filter(t -> t.status().isTerminal()), SecretsIT::logs);
        assertThat(failed.reason()).isEqualTo("exited with code 1: cannot log in with ***");

        List<String> answers = new ArrayList<>(List.of(set.stdout(), set.stderr()));
        for (String path : List.of("/jobs", "/jobs/" + id, "/jobs/" + id + "/events", "/jobs/" + id + "/progress",
                "/jobs/" + failingId, "/jobs/" + failingId + "/events", "/views/overview", "/views/jobs", "/events/recent",
                "/secrets", "/secrets/hf-token", "/nodes", "/nodes/" + NODE, "/cluster", "/config")) {
            HttpResponse<String> answer = get(path);
            assertThat(answer.statusCode()).as(path + ": " + answer.body()).isEqualTo(200);
            answers.add(answer.body());
        }
        assertThat(get("/secrets/hf-token").body()).contains("\"name\":\"hf-token\"", "\"size\":" + value.length());
        GantryCli.Run list = cli(Map.of(), "secret", "list");
        assertThat(list.stdout()).contains("hf-token");
        answers.add(list.stdout());
        Etcdctl.Result tasks = Etcdctl.of(cluster).run("get", "--prefix", Keys.TASKS);
        assertThat(tasks.stdout()).contains(id, "\"secretEnv\":{\"HF_TOKEN\":\"hf-token\"}");
        answers.add(tasks.stdout());
        answers.add(Files.readString(cluster.members().getFirst().logFile()));
        answers.add(Files.readString(agent.log));
        assertThat(answers).noneMatch(text -> text.contains(value));

        // On the node, only what the job itself wrote holds the value: no env file, no command line, no pid file.
        try (Stream<Path> files = Files.walk(agent.runDir(id, 0))) {
            assertThat(files.filter(Files::isRegularFile).filter(f -> read(f).contains(value)).map(f -> f.getFileName().toString()))
                    .containsExactlyInAnyOrder("stdout.log", "stderr.log");
        }
    }

    @Test
    void aJobNamingAMissingSecretIsRefusedAndNothingIsStored() {
        String before = Etcdctl.of(cluster).run("get", "--prefix", "--keys-only", Keys.TASKS).stdout();
        Map<String, Object> spec = Map.of("name", "needs-missing", "command", List.of("true"), "secretEnv", Map.of("API_KEY", "not-there"));
        HttpResponse<String> refused = send(request("/jobs").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(spec))));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("no such secret: not-there", "secretEnv.API_KEY");
        GantryCli.Run cli = cli(Map.of(), "job", "submit", "--name", "needs-missing", "--secret-env", "API_KEY=not-there", "--", "true");
        assertThat(cli.exitCode()).isEqualTo(1);
        assertThat(cli.stderr()).startsWith("Error: no such secret: not-there (HTTP 400)\n")
                .contains("secretEnv.API_KEY: secret 'not-there' does not exist");
        assertThat(Etcdctl.of(cluster).run("get", "--prefix", "--keys-only", Keys.TASKS).stdout()).isEqualTo(before);
    }

    @Test
    void aSecretDeletedBeforeItsJobStartsFailsTheJobNamingTheSecret() {
        assertThat(cli(Map.of("V", "short-lived"), "secret", "set", "short-lived", "--from-env", "V").exitCode()).isZero();
        assertThat(send(request("/nodes/" + NODE + "/cordon").POST(HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(200);
        String id;
        try {
            GantryCli.Run submitted = cli(Map.of(), "job", "submit", "--name", "loses-secret", "--secret-env", "TOKEN=short-lived", "--", "true");
            assertThat(submitted.exitCode()).as(submitted.toString()).isZero();
            id = submitted.stdout().split(" ")[1]; // job <id> submitted: PENDING (...)
            GantryCli.Run deleted = cli(Map.of(), "secret", "delete", "short-lived");
            assertThat(deleted.stdout()).as(deleted.toString()).isEqualTo("secret short-lived deleted\n");
            assertThat(cli(Map.of(), "secret", "delete", "short-lived").exitCode()).as("deleting it again").isEqualTo(1);
        } finally {
            send(request("/nodes/" + NODE + "/uncordon").POST(HttpRequest.BodyPublishers.noBody()));
        }
        Task failed = Await.until(id + " finished", DEADLINE,
                () -> Optional.of(Json.read(get("/jobs/" + id).body(), Task.class)).filter(t -> t.status().isTerminal()), SecretsIT::logs);
        assertThat(failed.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(failed.reason()).isEqualTo("cannot start: secret 'short-lived' (for TOKEN) does not exist");
        assertThat(failed.attempt()).isZero();
    }

    @Test
    void theSecretsApiTakesValuesAndNeverGivesThemBack() {
        String value = "p@ss=word&" + UUID.randomUUID();
        // curl --data-binary @file sends application/x-www-form-urlencoded: still the raw value.
        HttpResponse<String> created = put("/secrets/db-pass", "application/x-www-form-urlencoded", value.getBytes(StandardCharsets.UTF_8));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/api/v1/secrets/db-pass"));
        assertThat(created.body()).contains("\"name\":\"db-pass\"", "\"size\":" + value.length()).doesNotContain(value);
        String createdAt = Json.read(created.body(), Map.class).get("createdAt").toString();

        HttpResponse<String> replaced = put("/secrets/db-pass", "text/plain", ("longer-" + value).getBytes(StandardCharsets.UTF_8));
        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
        assertThat(replaced.body()).contains("\"createdAt\":\"" + createdAt + "\"", "\"size\":" + (value.length() + 7));
        assertThat(get("/secrets/db-pass").body()).isEqualTo(replaced.body());

        String refusedValue = "no-NUL\0" + value;
        for (var bad : List.of(
                Map.entry("/secrets/Bad_Name", value.getBytes(StandardCharsets.UTF_8)),
                Map.entry("/secrets/db-pass", new byte[0]),
                Map.entry("/secrets/db-pass", new byte[] {'s', (byte) 0xff, 'x'}),
                Map.entry("/secrets/db-pass", refusedValue.getBytes(StandardCharsets.UTF_8)),
                Map.entry("/secrets/db-pass", "v".repeat(64 * 1024 + 1).getBytes(StandardCharsets.UTF_8)))) {
            HttpResponse<String> refused = put(bad.getKey(), "application/octet-stream", bad.getValue());
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
            assertThat(refused.body()).startsWith("{\"error\":").doesNotContain(value, "no-NUL", "vvvv");
        }
        assertThat(get("/secrets/db-pass").body()).as("refused writes change nothing").isEqualTo(replaced.body());

        assertThat(get("/secrets/db-pass/value").statusCode()).isEqualTo(404);
        assertThat(get("/secrets/nope").statusCode()).isEqualTo(404);
        assertThat(send(request("/secrets/nope").DELETE()).statusCode()).isEqualTo(404);
        assertThat(send(request("/secrets/db-pass").DELETE()).statusCode()).isEqualTo(204);
        assertThat(get("/secrets/db-pass").statusCode()).isEqualTo(404);
    }

    private static HttpResponse<String> put(String path, String type, byte[] body) {
        return send(request(path).header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** {@code gantry GROUP COMMAND --server URL ARGS...}: the flag before the arguments, which may end in {@code -- COMMAND}. */
    private static GantryCli.Run cli(Map<String, String> env, String group, String command, String... args) {
        List<String> line = new ArrayList<>(List.of(group, command, "--server", cluster.members().getFirst().httpUrl()));
        line.addAll(List.of(args));
        return GantryCli.run(dir, env, line);
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
    }

    private static HttpResponse<String> get(String path) {
        return send(request(path).GET());
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(String value) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    }

    private static String logs() {
        return cluster.logTails(30) + agent.logTail();
    }
}
