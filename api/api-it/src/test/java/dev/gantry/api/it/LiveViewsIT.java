package dev.gantry.api.it;

import static dev.gantry.api.it.Http.json;
import static dev.gantry.api.it.Http.send;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Member;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Node;
import dev.gantry.job.Progress;
import dev.gantry.job.Task;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;

/**
 * The console's part of the API against one real Gantry server: the event stream ({@code /api/v1/events}: live
 * events fed by the server's watches, replay after a reconnect, resync when it cannot), the views answered from the
 * server's live copy ({@code /api/v1/views/overview}, {@code /api/v1/views/jobs}) and a job's progress history. The
 * store is changed directly, through the etcd protocol, as the scheduler and agents change it.
 */
class LiveViewsIT {
    private static final Duration AWAIT = Duration.ofSeconds(60);

    private static ApiServer server;
    private static Member member;
    private static KvClient kv;

    @BeforeAll
    static void startServer() {
        server = ApiServer.start(List.of());
        member = server.member;
        kv = server.kv;
        Await.until("the live views on " + member.httpUrl(), AWAIT,
                () -> Optional.of(get("/views/overview")).filter(r -> r.statusCode() == 200), () -> member.logTail(40));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void streamsChangesAndReplaysWhatAReconnectingClientMissed() throws Exception {
        String lastSeen;
        String id;
        try (EventStream stream = EventStream.open(null)) {
            JsonNode hello = stream.next("hello", e -> true);
            assertThat(hello.get("resumed").asBoolean()).isFalse();
            id = submit("streamed");
            JsonNode submitted = stream.next("job", e -> e.get("id").asText().equals(id));
            assertThat(submitted.get("kind").asText()).isEqualTo("submitted");
            assertThat(submitted.get("name").asText()).isEqualTo("streamed");
            assertThat(submitted.get("status").asText()).isEqualTo("PENDING");
            lastSeen = stream.lastId;
        }
        // While no stream is open: an operator cordons a node, and the job is cancelled.
        assertThat(put("/config/nodes/gpu-replay", "{\"state\": \"cordoned\", \"reason\": \"fan\"}").statusCode()).isEqualTo(200);
        assertThat(post("/jobs/" + id + "/cancel", "").statusCode()).isEqualTo(200);

        try (EventStream resumed = EventStream.open(lastSeen)) {
            assertThat(resumed.next("hello", e -> true).get("resumed").asBoolean()).isTrue();
            JsonNode cordoned = resumed.next("node", e -> e.get("id").asText().equals("gpu-replay"));
            assertThat(cordoned.get("kind").asText()).isEqualTo("cordoned");
            assertThat(cordoned.get("reason").asText()).isEqualTo("fan");
            assertThat(resumed.next("job", e -> e.get("id").asText().equals(id) && e.get("kind").asText().equals("cancelled"))
                    .get("status").asText()).isEqualTo("CANCELLED");
        }
        try (EventStream unknown = EventStream.open("not-this-server-7")) {
            assertThat(unknown.next("hello", e -> true).get("resumed").asBoolean()).as("told to read the state again").isFalse();
        }
        JsonNode recent = json(get("/events/recent?limit=200"));
        assertThat(recent.get("items").findValuesAsText("kind")).contains("submitted", "cancelled", "cordoned").doesNotContain("progress");
        assertThat(get("/events/recent?limit=0").statusCode()).isEqualTo(400);
    }

    @Test
    void streamsNodesJoiningAndLeavingAndProgress() throws Exception {
        try (EventStream stream = EventStream.open(null)) {
            stream.next("hello", e -> true);
            long lease = kv.grantLease(30);
            kv.put(Keys.node("gpu-stream"), Json.write(node("gpu-stream", 2)), lease);
            assertThat(stream.next("node", e -> e.get("id").asText().equals("gpu-stream")).get("kind").asText()).isEqualTo("joined");

            Task running = runningTask("progressing", "gpu-stream");
            kv.put(Keys.task(running.id()), Json.write(running));
            kv.put(Keys.task(running.id()), Json.write(Lifecycle.progress(running, new Progress(3L, 10L, 30.0, 1.25, 70L, Instant.now()), Instant.now())));
            JsonNode progress = stream.next("job", e -> e.get("id").asText().equals(running.id()) && e.get("kind").asText().equals("progress"));
            assertThat(progress.at("/progress/step").asLong()).isEqualTo(3);
            assertThat(progress.at("/progress/loss").asDouble()).isEqualTo(1.25);

            kv.revokeLease(lease);
            assertThat(stream.next("node", e -> e.get("id").asText().equals("gpu-stream") && e.get("kind").asText().equals("lost"))).isNotNull();
        }
    }

    @Test
    void keepsAJobsProgressHistory() {
        long lease = kv.grantLease(60); // the node is alive: the failover controller leaves its task alone
        kv.put(Keys.node("gpu-curve"), Json.write(node("gpu-curve", 1)), lease);
        Task task = runningTask("curve", "gpu-curve");
        kv.put(Keys.task(task.id()), Json.write(task));
        for (long step = 1; step <= 5; step++) {
            Kv stored = kv.get(Keys.task(task.id())).orElseThrow();
            Task next = Lifecycle.progress(Json.read(stored.value(), Task.class),
                    new Progress(step, 5L, step * 20.0, 3.0 / step, 5 - step, Instant.now()), Instant.now());
            kv.put(Keys.task(task.id()), Json.write(next));
        }
        JsonNode curve = Await.until("5 progress records", AWAIT, () -> Optional.of(json(get("/jobs/" + task.id() + "/progress")))
                .filter(c -> c.get("points").size() == 5), () -> "");
        assertThat(curve.get("points").findValuesAsText("step")).containsExactly("1", "2", "3", "4", "5");
        assertThat(curve.at("/points/4/loss").asDouble()).isEqualTo(0.6);
        assertThat(curve.get("attempt").asInt()).isZero();
        assertThat(get("/jobs/no-such-job-12345/progress").statusCode()).isEqualTo(404);
        kv.revokeLease(lease);
    }

    @Test
    void theOverviewCountsJobsNodesAndGpus() {
        // A GPU model only this test's nodes have: its line in the overview counts them alone.
        String model = "NVIDIA H200 141GB HBM3e";
        long lease = kv.grantLease(60);
        kv.put(Keys.node("gpu-count-a"), Json.write(node("gpu-count-a", 4, model)), lease);
        kv.put(Keys.node("gpu-count-b"), Json.write(node("gpu-count-b", 2, model)), lease);
        assertThat(put("/config/nodes/gpu-count-b", "{\"state\": \"draining\"}").statusCode()).isEqualTo(200);
        Task running = runningTask("counted", "gpu-count-a");
        kv.put(Keys.task(running.id()), Json.write(running));
        kv.put(Keys.assignment("gpu-count-a", running.id()), Json.write(dev.gantry.job.Assignment.of(running)));

        JsonNode overview = Await.until("the overview to count them", AWAIT, () -> Optional.of(json(get("/views/overview")))
                .filter(o -> o.at("/jobs/RUNNING").asInt() >= 1 && o.at("/nodes/draining").asInt() >= 1 && h200(o).at("/busy").asInt() == 1), () -> "");
        JsonNode h200 = h200(overview);
        assertThat(h200.get("total").asInt()).isEqualTo(6);
        assertThat(h200.get("free").asInt()).as("3 free on the ready node; the draining node's are not").isEqualTo(3);
        JsonNode gpus = overview.get("gpus");
        assertThat(gpus.get("busy").asInt() + gpus.get("free").asInt() + gpus.get("unavailable").asInt()).isEqualTo(gpus.get("total").asInt());
        assertThat(gpus.get("unavailable").asInt()).isGreaterThanOrEqualTo(2);
        kv.revokeLease(lease);
    }

    private static JsonNode h200(JsonNode overview) {
        for (JsonNode model : overview.get("gpuModels")) {
            if (model.get("name").asText().startsWith("NVIDIA H200")) {
                return model;
            }
        }
        return Json.mapper().createObjectNode();
    }

    @Test
    void theJobsTableFiltersSortsAndPages() {
        for (String name : List.of("table-b", "table-a", "table-c")) {
            submit(name, Map.of("suite", "table"));
        }
        JsonNode byName = Await.until("the 3 jobs in the table", AWAIT, () -> Optional.of(json(get("/views/jobs?label=suite=table&sort=name")))
                .filter(t -> t.get("total").asInt() == 3), () -> "");
        assertThat(byName.get("items").findValuesAsText("name")).containsExactly("table-a", "table-b", "table-c");
        assertThat(byName.at("/items/0/gpusRequested").asInt()).isEqualTo(1);
        assertThat(byName.at("/items/0/what").asText()).isEqualTo("true");

        JsonNode newestFirst = json(get("/views/jobs?label=suite=table&limit=2"));
        assertThat(newestFirst.get("sort").asText()).isEqualTo("-createdAt");
        assertThat(newestFirst.get("items").findValuesAsText("name")).containsExactly("table-c", "table-a");
        JsonNode secondPage = json(get("/views/jobs?label=suite=table&limit=2&offset=2"));
        assertThat(secondPage.get("items").findValuesAsText("name")).containsExactly("table-b");
        assertThat(secondPage.get("total").asInt()).isEqualTo(3);

        assertThat(json(get("/views/jobs?label=suite=table&name=LE-B")).get("items").findValuesAsText("name")).containsExactly("table-b");
        assertThat(json(get("/views/jobs?label=suite=table&status=RUNNING")).get("total").asInt()).isZero();

        JsonNode badSort = json(get("/views/jobs?sort=colour"));
        assertThat(badSort.at("/fields/0/field").asText()).isEqualTo("sort");
        assertThat(get("/views/jobs?sort=colour").statusCode()).isEqualTo(400);
        assertThat(get("/views/jobs?limit=501").statusCode()).isEqualTo(400);
        assertThat(get("/views/jobs?offset=-1").statusCode()).isEqualTo(400);
        assertThat(get("/views/jobs?status=DONE").statusCode()).isEqualTo(400);
    }

    @Test
    void theConsoleIsServedAndDocumented() {
        HttpResponse<String> index = send(HttpRequest.newBuilder(URI.create(member.httpUrl() + "/")).GET());
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.body()).contains("<title>Gantry</title>", "console/main.js");
        assertThat(send(HttpRequest.newBuilder(URI.create(member.httpUrl() + "/console/main.js")).GET()).statusCode()).isEqualTo(200);
        String openapi = send(HttpRequest.newBuilder(URI.create(member.httpUrl() + "/q/openapi?format=json")).GET()).body();
        assertThat(openapi).contains("/api/v1/events", "/api/v1/views/jobs", "/api/v1/views/overview", "/api/v1/jobs/{id}/progress");
    }

    // ---- the store, as the scheduler and an agent write it ----

    private static Node node(String id, int gpus) {
        return node(id, gpus, "NVIDIA H100 80GB HBM3");
    }

    private static Node node(String id, int gpus, String model) {
        List<Node.Gpu> list = java.util.stream.IntStream.range(0, gpus).mapToObj(i -> new Node.Gpu(i, "GPU-" + id + "-" + i,
                model, 81559L, 0L, 0, 30, 60.0, true)).toList();
        return new Node(id, id, list, true, 8, 65536L, Map.of(), "test", Instant.now(), Instant.now());
    }

    private static Task runningTask(String name, String node) {
        Task pending = Json.read(kv.get(Keys.task(submit(name))).orElseThrow().value(), Task.class);
        return Lifecycle.start(Lifecycle.schedule(pending, node, List.of("GPU-" + node + "-0"), Instant.now()), Instant.now());
    }

    private static String submit(String name) {
        return submit(name, Map.of());
    }

    private static String submit(String name, Map<String, String> labels) {
        // Asks for a GPU model no node has, so that this server's scheduler leaves the job alone.
        HttpResponse<String> created = post("/jobs", "{\"name\": \"" + name + "\", \"command\": [\"true\"], \"resources\": {\"gpus\": 1, \"gpuModel\": \"none-such\"}, \"labels\": "
                + Json.write(labels) + "}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return json(created).get("id").asText();
    }

    /** A client of /api/v1/events: reads the stream on its own thread; {@link #next} waits for a matching event. */
    private static final class EventStream implements AutoCloseable {
        private record Event(String name, String id, JsonNode data) {
        }

        private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final CompletableFuture<HttpResponse<Stream<String>>> response;
        String lastId;

        private EventStream(String lastEventId) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(member.httpUrl() + "/api/v1/events")).GET();
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            response = Http.CLIENT.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines());
            response.thenAcceptAsync(r -> read(r.body()));
        }

        static EventStream open(String lastEventId) {
            return new EventStream(lastEventId);
        }

        private void read(Stream<String> lines) {
            String[] event = new String[2];
            StringBuilder data = new StringBuilder();
            try {
                lines.forEach(line -> {
                    if (line.isEmpty()) {
                        if (event[0] != null) {
                            events.add(new Event(event[0], event[1], readJson(data.toString())));
                        }
                        event[0] = null;
                        event[1] = null;
                        data.setLength(0);
                    } else if (line.startsWith("event:")) {
                        event[0] = line.substring(6).trim();
                    } else if (line.startsWith("id:")) {
                        event[1] = line.substring(3).trim();
                    } else if (line.startsWith("data:")) {
                        data.append(line.substring(5).trim());
                    }
                });
            } catch (UncheckedIOException e) {
                // closed
            }
        }

        /** The data of the next event named {@code name} that matches, skipping others; fails after a deadline. */
        JsonNode next(String name, Predicate<JsonNode> matching) throws InterruptedException {
            long deadline = System.nanoTime() + AWAIT.toNanos();
            while (true) {
                Event event = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (event == null) {
                    throw new AssertionError("no '" + name + "' event matching within " + AWAIT);
                }
                lastId = event.id();
                if (event.name().equals(name) && matching.test(event.data())) {
                    return event.data();
                }
            }
        }

        @Override
        public void close() {
            response.thenAccept(r -> r.body().close());
            response.cancel(true);
        }
    }

    private static JsonNode readJson(String text) {
        try {
            return Json.mapper().readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static HttpResponse<String> get(String path) {
        return send(request(path).GET());
    }

    private static HttpResponse<String> post(String path, String body) {
        return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static HttpResponse<String> put(String path, String body) {
        return send(request(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(member.httpUrl() + "/api/v1" + path));
    }
}
