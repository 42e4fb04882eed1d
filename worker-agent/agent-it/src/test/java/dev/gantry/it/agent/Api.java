package dev.gantry.it.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.gantry.job.Json;
import dev.gantry.job.Task;

/** The REST API of a server, as users reach it. */
final class Api {
    private final String base;
    /** Sent as a bearer token, for servers run with --api-auth on; null: none. */
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Api(String httpUrl) {
        this(httpUrl, null);
    }

    Api(String httpUrl, String token) {
        this.base = httpUrl + "/api/v1";
        this.token = token;
    }

    /** Submits a job; returns its id. */
    String submit(Map<String, Object> spec) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/jobs")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(spec))));
        if (response.statusCode() != 201) {
            throw new IllegalStateException("POST /jobs: " + response.statusCode() + " " + response.body());
        }
        return Json.read(response.body(), Task.class).id();
    }

    /** The status of {@code GET /jobs}: 200, or 401/503 while the server does not (yet) take this API's token. */
    int jobs() {
        return send(HttpRequest.newBuilder(URI.create(base + "/jobs")).GET()).statusCode();
    }

    Task job(String id) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + id)).GET());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /jobs/" + id + ": " + response.statusCode() + " " + response.body());
        }
        return Json.read(response.body(), Task.class);
    }

    Task cancel(String id) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + id + "/cancel"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"test cancels\"}")));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("POST /jobs/" + id + "/cancel: " + response.statusCode() + " " + response.body());
        }
        return Json.read(response.body(), Task.class);
    }

    /** {@code GET /jobs/<id>/logs?<query>}: the status and the whole body. */
    HttpResponse<String> logs(String id, String query) {
        return send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + id + "/logs?" + query)).GET());
    }

    /** A followed log, open: the caller reads it to its end. */
    InputStream follow(String id) {
        try {
            HttpResponse<InputStream> response = http.send(authorized(HttpRequest.newBuilder(URI.create(base + "/jobs/" + id + "/logs?follow=true")))
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("follow " + id + ": " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    JsonNode node(String id) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/nodes/" + id)).GET());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /nodes/" + id + ": " + response.statusCode() + " " + response.body());
        }
        try {
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder request) {
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(authorized(request).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
