package dev.gantry.it.scheduler;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.gantry.job.Json;

/** {@code POST /api/v1/jobs} on a server's HTTP URL, as users submit jobs. */
final class JobsApi {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Submits a command job (no ms-swift) asking for {@code gpus} GPUs; returns the new task's id. */
    String submit(String httpUrl, String name, int gpus, String gpuModel, int priority, int maxRetries) {
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("gpus", gpus);
        if (gpuModel != null) {
            resources.put("gpuModel", gpuModel);
        }
        Map<String, Object> spec = Map.of("name", name, "command", List.of("sleep", "1"), "resources", resources,
                "priority", priority, "maxRetries", maxRetries);
        HttpRequest request = HttpRequest.newBuilder(URI.create(httpUrl + "/api/v1/jobs"))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(spec))).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 201) {
                throw new IllegalStateException("POST /api/v1/jobs: " + response.statusCode() + " " + response.body());
            }
            return Json.mapper().readTree(response.body()).get("id").asText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
