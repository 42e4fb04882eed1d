package dev.gantry.api.it;

import static dev.gantry.api.it.Http.json;
import static dev.gantry.api.it.Http.send;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.GantryCli;
import dev.gantry.it.cluster.Member;
import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Node;
import dev.gantry.job.Task;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;

/**
 * The REST API ({@code /api/v1}) and the {@code gantry} CLI against one real Gantry server shared by the class.
 * What the API wrote is checked in the store itself, through the etcd v3 protocol; refused requests must leave
 * {@code /tasks/} untouched.
 */
class JobsApiIT {
    private static final Duration AWAIT = Duration.ofSeconds(60);

    private static ApiServer server;
    private static Member member;
    private static KvClient kv;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() {
        server = ApiServer.start(List.of());
        member = server.member;
        kv = server.kv;
        Await.until("the REST API on " + member.httpUrl(), AWAIT,
                () -> Optional.of(get("/cluster")).filter(r -> r.statusCode() == 200), () -> member.logTail(40));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    static final String JOB_JSON = """
            {"name": "qwen-lora", "model": "Qwen/Qwen2.5-7B-Instruct", "datasets": ["AI-ModelScope/alpaca-gpt4-data-en#500"],
             "trainType": "lora", "hyperparameters": {"epochs": 1, "learningRate": 1e-4, "batchSize": 1, "loraRank": 8},
             "resources": {"gpus": 1, "gpuModel": "H100", "minGpuMemoryGiB": 40}, "priority": 50, "maxRetries": 3}
            """;

    @Test
    void submitsJsonAndReadsItBack() {
        HttpResponse<String> created = post("/jobs", "application/json", JOB_JSON);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode task = json(created);
        String id = task.get("id").asText();
        assertThat(id).matches("qwen-lora-[0-9a-z]{5}");
        assertThat(created.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/api/v1/jobs/" + id));
        assertThat(task.get("status").asText()).isEqualTo("PENDING");
        assertThat(task.get("reason").asText()).isNotEmpty();
        assertThat(task.at("/spec/resources/gpuModel").asText()).isEqualTo("H100");

        assertThat(json(get("/jobs/" + id))).isEqualTo(task);
        Task stored = Json.read(kv.get(Keys.task(id)).orElseThrow().value(), Task.class);
        assertThat(stored.spec().hyperparameters().loraRank()).isEqualTo(8);
        assertThat(stored.spec().maxRetries()).isEqualTo(3);
        assertThat(get("/jobs/no-such-job").statusCode()).isEqualTo(404);
    }

    @Test
    void submitsYaml() {
        String yaml = """
                name: yaml-job
                command: [python, train.py, --epochs, "1"]
                resources: {gpus: 2}
                labels: {team: vision}
                """;
        for (String type : List.of("application/yaml", "application/x-yaml")) {
            HttpResponse<String> created = post("/jobs", type, yaml);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            JsonNode spec = json(created).get("spec");
            assertThat(spec.get("command")).hasSize(4);
            assertThat(spec.at("/resources/gpus").asInt()).isEqualTo(2);
            assertThat(spec.at("/labels/team").asText()).isEqualTo("vision");
        }
    }

    @Test
    void listsWithFiltersAndPages() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(json(post("/jobs", "application/json",
                    "{\"name\":\"pager\",\"command\":[\"true\"],\"labels\":{\"batch\":\"b" + (i % 2) + "\"}}")).get("id").asText());
        }
        List<String> paged = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            JsonNode page = json(get("/jobs?name=pager&limit=2" + (token == null ? "" : "&continue=" + token)));
            assertThat(page.get("items").size()).isLessThanOrEqualTo(2);
            page.get("items").forEach(t -> paged.add(t.get("id").asText()));
            token = page.hasNonNull("continue") ? page.get("continue").asText() : null;
            pages++;
        } while (token != null);
        assertThat(paged).containsExactlyElementsOf(ids.stream().sorted().toList());
        assertThat(pages).isEqualTo(3);

        JsonNode b1 = json(get("/jobs?name=pager&label=batch=b1"));
        assertThat(b1.get("items")).hasSize(2);
        assertThat(json(get("/jobs?name=pager&status=running,SUCCEEDED")).get("items")).isEmpty();
        assertThat(json(get("/jobs?name=pager&status=PENDING")).get("items")).hasSize(5);

        assertThat(refused(get("/jobs?status=DONE"), 400).at("/fields/0/field").asText()).isEqualTo("status");
        assertThat(get("/jobs?limit=0").statusCode()).isEqualTo(400);
        assertThat(get("/jobs?continue=bm90LW91cnM").statusCode()).isEqualTo(400);
    }

    @Test
    void cancelsOnceAndKeepsTheTimeline() {
        String id = json(post("/jobs", "application/json", "{\"name\":\"to-cancel\",\"command\":[\"sleep\",\"9\"]}")).get("id").asText();
        HttpResponse<String> cancelled = post("/jobs/" + id + "/cancel", "application/json", "{\"reason\": \"changed my mind\"}");
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        assertThat(json(cancelled).get("status").asText()).isEqualTo("CANCELLED");

        assertThat(refused(post("/jobs/" + id + "/cancel", "application/json", ""), 409).get("error").asText()).contains("CANCELLED");

        JsonNode events = json(get("/jobs/" + id + "/events")).get("items");
        assertThat(events).extracting(e -> e.get("to").asText()).containsExactly("PENDING", "CANCELLED");
        assertThat(events.get(1).get("reason").asText()).isEqualTo("changed my mind");
        assertThat(post("/jobs/no-such-job/cancel", "application/json", "").statusCode()).isEqualTo(404);
    }

    /** A scheduled task's assignment goes in the same txn as the cancel: that is how its agent learns to stop it. */
    @Test
    void cancellingAScheduledTaskDeletesItsAssignment() {
        String id = json(post("/jobs", "application/json", "{\"name\":\"placed\",\"command\":[\"true\"],\"resources\":{\"gpus\":1}}"))
                .get("id").asText();
        Kv current = kv.get(Keys.task(id)).orElseThrow();
        Task scheduled = Lifecycle.schedule(Json.read(current.value(), Task.class), "gpu-node-7", List.of("0"), Instant.now());
        assertThat(kv.txn().ifModRevision(current.key(), current.modRevision()).put(current.key(), Json.write(scheduled))
                .put(Keys.assignment("gpu-node-7", id), Json.write(Assignment.of(scheduled))).commit().succeeded()).isTrue();

        assertThat(json(get("/nodes/gpu-node-7")).get("status").asText()).isEqualTo("lost");
        assertThat(post("/jobs/" + id + "/cancel", "application/json", "").statusCode()).isEqualTo(200);
        assertThat(kv.get(Keys.assignment("gpu-node-7", id))).isEmpty();
        assertThat(Json.read(kv.get(Keys.task(id)).orElseThrow().value(), Task.class).status().name()).isEqualTo("CANCELLED");
    }

    @Test
    void nodesMergeTheAgentsKeyWithOperatorState() {
        long lease = kv.grantLease(30);
        Node node = new Node("gpu-a1", "host-a1", List.of(
                new Node.Gpu(0, "GPU-a", "NVIDIA H100 80GB HBM3", 81559L, 0L, 0, 31, 70.0, true),
                new Node.Gpu(1, "GPU-b", "NVIDIA H100 80GB HBM3", 81559L, 0L, 0, 30, 69.0, true)),
                true, 32, 262144L, Map.of("zone", "a"), "test", Instant.now(), Instant.now());
        kv.put(Keys.node("gpu-a1"), Json.write(node), lease);
        try {
            JsonNode listed = nodeIn(json(get("/nodes")), "gpu-a1");
            assertThat(listed.get("status").asText()).isEqualTo("ready");
            assertThat(listed.get("online").asBoolean()).isTrue();
            assertThat(listed.get("gpus")).hasSize(2);

            HttpResponse<String> cordoned = post("/nodes/gpu-a1/cordon", "application/json", "{\"reason\": \"bad fan\"}");
            assertThat(cordoned.statusCode()).as(cordoned.body()).isEqualTo(200);
            assertThat(nodeIn(json(get("/nodes")), "gpu-a1").get("status").asText()).isEqualTo("cordoned");
            JsonNode state = Json.mapper().readTree(kv.get(Keys.nodeState("gpu-a1")).orElseThrow().value());
            assertThat(state.get("state").asText()).isEqualTo("cordoned");
            assertThat(state.get("reason").asText()).isEqualTo("bad fan");
            assertThat(json(get("/config/nodes/gpu-a1")).get("state").asText()).isEqualTo("cordoned");

            // An agent re-registering rewrites its own key only: the operator's state survives it.
            kv.put(Keys.node("gpu-a1"), Json.write(node), lease);
            assertThat(post("/nodes/gpu-a1/drain", "text/plain", "").statusCode()).isEqualTo(200);
            assertThat(json(get("/nodes/gpu-a1")).get("status").asText()).isEqualTo("draining");

            assertThat(json(post("/nodes/gpu-a1/uncordon", "application/json", "")).get("status").asText()).isEqualTo("ready");
            assertThat(kv.get(Keys.nodeState("gpu-a1"))).isEmpty();
            assertThat(post("/nodes/nobody/cordon", "application/json", "").statusCode()).isEqualTo(404);
        } catch (IOException e) {
            throw new AssertionError(e);
        } finally {
            kv.revokeLease(lease);
        }
        assertThat(get("/nodes/gpu-a1").statusCode()).isEqualTo(404);
    }

    @Test
    void storesConfigAsJson() {
        HttpResponse<String> put = put("/config/scheduler/policy", "{\"binpack\": true, \"weights\": [1, 2]}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(kv.get("/config/scheduler/policy").orElseThrow().value()).isEqualTo("{\"binpack\": true, \"weights\": [1, 2]}");
        assertThat(json(get("/config/scheduler/policy")).get("binpack").asBoolean()).isTrue();
        assertThat(json(get("/config")).get("items")).anySatisfy(e -> assertThat(e.get("key").asText()).isEqualTo("scheduler/policy"));

        assertThat(refused(put("/config/scheduler/policy", "{\"binpack\": tru"), 400).get("error").asText()).contains("line 1");
        assertThat(put("/config/nodes/x", "{\"state\": \"asleep\"}").statusCode()).isEqualTo(400);
        assertThat(kv.get("/config/scheduler/policy").orElseThrow().value()).contains("weights");
        assertThat(get("/config/nothing/here").statusCode()).isEqualTo(404);
    }

    @Test
    void reportsTheCluster() {
        JsonNode status = json(get("/cluster"));
        assertThat(status.get("members")).hasSize(1);
        assertThat(status.at("/members/0/clientUrls/0").asText()).isEqualTo(member.clientUrl());
        assertThat(status.get("leader").asText()).isEqualTo(status.get("memberId").asText());
        assertThat(status.get("revision").asLong()).isPositive();
        assertThat(status.get("raftTerm").asLong()).isPositive();
        assertThat(status.get("alarms")).isEmpty();
    }

    @Test
    void describesItselfWithOpenApi() throws IOException {
        HttpResponse<String> document = send(HttpRequest.newBuilder(URI.create(member.httpUrl() + "/q/openapi?format=json")).GET());
        assertThat(document.statusCode()).isEqualTo(200);
        JsonNode paths = Json.mapper().readTree(document.body()).get("paths");
        assertThat(paths.has("/api/v1/jobs")).isTrue();
        assertThat(paths.has("/api/v1/nodes/{id}/drain")).isTrue();
    }

    @Test
    void refusesBadJobsThroughTheApiAndWritesNothing() {
        List<String> before = taskKeys();
        assertThat(refused(post("/jobs", "application/json", "{\"name\": \"a\",\n \"command\" [\"x\"]}"), 400)
                .get("error").asText()).startsWith("malformed JSON at line 2, column");
        assertThat(refused(post("/jobs", "application/json", "{\"name\":\"a\",\"command\":[\"x\"],\"resources\":{\"gpus\":-1}}"), 400)
                .at("/fields/0/field").asText()).isEqualTo("resources.gpus");
        assertThat(refused(post("/jobs", "application/yaml", "name: a\nmodel: m\ndatasets: [d]\ntrainType: dpo\n"), 400)
                .at("/fields/0/field").asText()).isEqualTo("trainType");
        assertThat(refused(post("/jobs", "application/json", "{\"name\":\"a\",\"command\":[\"x\"],\"gpuCount\":1}"), 400)
                .get("error").asText()).contains("gpuCount");
        assertThat(refused(post("/jobs", "application/json", "{\"name\":\"" + "a".repeat(10 * 1024 * 1024) + "\"}"), 413)
                .get("error").asText()).contains("too large");

        assertThat(post("/jobs", "text/xml", "<job/>").statusCode()).isEqualTo(415);
        assertThat(taskKeys()).isEqualTo(before);
    }

    @Test
    void theCliSubmitsListsAndRefusesBadJobs() throws Exception {
        Path good = Files.writeString(dir.resolve("job.yaml"), "name: from-cli\ncommand: [echo, hi]\n");
        GantryCli.Run submitted = cli("job", "submit", "-f", good.toString());
        assertThat(submitted.exitCode()).as(submitted.toString()).isZero();
        assertThat(submitted.stdout()).matches("(?s)job from-cli-[0-9a-z]{5} submitted: PENDING.*");
        GantryCli.Run listed = cli("job", "ls", "--name", "from-cli", "-o", "json");
        assertThat(Json.mapper().readTree(listed.stdout()).get("items")).hasSize(1);

        List<String> before = taskKeys();
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"name\": \"bad\", \"model\": \"m\", \"datasets\": [\"d\"], "
                + "\"trainType\": \"sft\", \"resources\": {\"gpus\": -1}}");
        GantryCli.Run refused = cli("job", "submit", "-f", bad.toString());
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.stderr()).contains("HTTP 400").contains("  trainType: must be one of lora, qlora, full")
                .contains("  resources.gpus: must be between 0 and 64");

        Path malformed = Files.writeString(dir.resolve("malformed.json"), "{\"name\": ");
        GantryCli.Run syntax = cli("job", "submit", "-f", malformed.toString());
        assertThat(syntax.exitCode()).isEqualTo(1);
        assertThat(syntax.stderr()).contains("malformed JSON at line 1");

        Path unknown = Files.writeString(dir.resolve("unknown.yaml"), "name: x\ncommand: [x]\nretries: 2\n");
        GantryCli.Run unknownField = cli("job", "submit", "-f", unknown.toString());
        assertThat(unknownField.exitCode()).isEqualTo(1);
        assertThat(unknownField.stderr()).contains("unknown field 'retries'");

        GantryCli.Run usage = cli("job", "submit", "--gpus", "two", "--name", "x");
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.stderr()).contains("--gpus must be an integer");
        assertThat(taskKeys()).isEqualTo(before);
    }

    @Test
    void theCliReachesConfigNodesAndTheKv() throws Exception {
        GantryCli.Run set = cli("config", "set", "cli/limits", "{\"maxGpus\": 8}");
        assertThat(set.exitCode()).as(set.toString()).isZero();
        assertThat(Json.mapper().readTree(cli("config", "get", "cli/limits").stdout()).get("maxGpus").asInt()).isEqualTo(8);
        GantryCli.Run badJson = cli("config", "set", "cli/limits", "{maxGpus");
        assertThat(badJson.exitCode()).isEqualTo(1);
        assertThat(badJson.stderr()).contains("malformed JSON");

        GantryCli.Run put = cli("kv", "put", "/cli-it/a", "1", "--endpoints", member.clientUrl());
        assertThat(put.exitCode()).as(put.toString()).isZero();
        GantryCli.Run got = cli("kv", "get", "/cli-it/", "--prefix", "--endpoints", member.clientUrl());
        assertThat(got.stdout()).isEqualTo("/cli-it/a\n1\n");
        assertThat(cli("kv", "del", "/cli-it/", "--prefix", "--endpoints", member.clientUrl()).stdout().trim()).isEqualTo("1");
        assertThat(kv.get("/cli-it/a")).isEmpty();

        GantryCli.Run nodes = cli("node", "ls");
        assertThat(nodes.exitCode()).as(nodes.toString()).isZero();
        assertThat(nodes.stdout()).startsWith("ID");
        assertThat(cli("node", "get", "nobody").exitCode()).isEqualTo(1);
    }

    // --- helpers

    private static JsonNode nodeIn(JsonNode page, String id) {
        for (JsonNode n : page.get("items")) {
            if (n.get("id").asText().equals(id)) {
                return n;
            }
        }
        throw new AssertionError("no node " + id + " in " + page);
    }

    private static List<String> taskKeys() {
        return kv.list(Keys.TASKS).kvs().stream().map(e -> e.key() + "@" + e.modRevision()).toList();
    }

    private GantryCli.Run cli(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", member.httpUrl()));
        return GantryCli.run(dir, Map.of(), all);
    }

    private static HttpResponse<String> get(String path) {
        return send(request(path).GET());
    }

    private static HttpResponse<String> post(String path, String type, String body) {
        return send(request(path).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static HttpResponse<String> put(String path, String body) {
        return send(request(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(member.httpUrl() + "/api/v1" + path)).timeout(Duration.ofSeconds(30));
    }

    /** A refused request: its status checked, its error body returned for the message or fields to be checked. */
    private static JsonNode refused(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return json(response);
    }
}
