package dev.gantry.it.console;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.job.Json;
import dev.gantry.kv.client.KvClient;

/**
 * One real {@code gantry server} process with its scheduler (kv-it's harness: free ports, a temporary data directory,
 * killed with the test JVM), a {@link KvClient} on it for checking what the console wrote, and the REST API for arranging what it
 * should show. Ready once the console's views answer: the server has read the store.
 */
final class GantryServer implements AutoCloseable {
    static final Duration AWAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Cluster cluster;
    final Member member;
    final KvClient kv;

    private GantryServer(Cluster cluster) {
        this.cluster = cluster;
        this.member = cluster.members().getFirst();
        this.kv = KvClient.connect(member.clientUrl());
    }

    /** A server with its scheduler (the harness turns it off unless asked) and the given flags ({@code --agent=on}). */
    static GantryServer start(String... flags) {
        List<String> all = new java.util.ArrayList<>(List.of("--scheduler=on"));
        all.addAll(List.of(flags));
        GantryServer server = new GantryServer(Cluster.start(Implementation.GANTRY, 1, all));
        try {
            server.awaitConsole();
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Waits until the server's live views answer (after a start or a restart). */
    void awaitConsole() {
        Await.until("the console's views on " + member.httpUrl(), AWAIT,
                () -> Optional.of(get("/api/v1/views/overview")).filter(r -> r.statusCode() == 200), () -> member.logTail(40));
    }

    /** The console's address: the server's HTTP listener. */
    String url() {
        return member.httpUrl();
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(url() + path)).GET());
    }

    HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(url() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** Sets a secret through the API, as {@code gantry secret set} does. */
    void putSecret(String name, String value) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(url() + "/api/v1/secrets/" + name))
                .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofString(value)));
        if (response.statusCode() != 201 && response.statusCode() != 200) {
            throw new IllegalStateException("PUT secret " + name + ": " + response.statusCode() + " " + response.body());
        }
    }

    JsonNode json(String path) {
        HttpResponse<String> response = get(path);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": " + response.statusCode() + " " + response.body());
        }
        return read(response.body());
    }

    /** Submits a job through the API; returns its id. */
    String submit(String json) {
        HttpResponse<String> created = post("/api/v1/jobs", json);
        if (created.statusCode() != 201) {
            throw new IllegalStateException("submit: " + created.statusCode() + " " + created.body());
        }
        return read(created.body()).get("id").asText();
    }

    /** Waits until the job's status is {@code status}. */
    void awaitStatus(String id, String status) {
        Await.until(id + " " + status, AWAIT, () -> Optional.of(json("/api/v1/jobs/" + id))
                .filter(t -> t.get("status").asText().equals(status)), () -> get("/api/v1/jobs/" + id).body() + "\n" + logTail());
    }

    /** The end of the server's log, for failure messages. */
    String logTail() {
        return member.logTail(80);
    }

    static JsonNode read(String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + body, e);
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        kv.close();
        cluster.close();
    }
}
