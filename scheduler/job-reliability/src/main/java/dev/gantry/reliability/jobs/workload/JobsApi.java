package dev.gantry.reliability.jobs.workload;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;
import dev.gantry.job.Json;
import dev.gantry.job.Task;
import dev.gantry.reliability.jobs.history.Cancel;

/**
 * The REST API as users reach it: each request to a random running member, with a deadline. A request that fails
 * or times out has an unknown outcome, and is recorded as such.
 */
final class JobsApi implements AutoCloseable {
    private final Cluster cluster;
    private final Duration timeout;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    JobsApi(Cluster cluster, Duration timeout) {
        this.cluster = cluster;
        this.timeout = timeout;
    }

    /** Submits a job; its id, or empty when the outcome is unknown. */
    Optional<String> submit(Map<String, Object> spec) {
        return send("/jobs", Json.write(spec)).map(response -> {
            if (response.statusCode() != 201) { // the test's own spec is wrong: no point in going on
                throw new IllegalStateException("POST /jobs " + Json.write(spec) + ": " + response.statusCode() + " "
                        + response.body());
            }
            return Json.read(response.body(), Task.class).id();
        });
    }

    Cancel.Outcome cancel(String id) {
        Optional<HttpResponse<String>> response = send("/jobs/" + id + "/cancel", "{\"reason\":\"the test cancels it\"}");
        if (response.isEmpty()) {
            return Cancel.Outcome.UNKNOWN;
        }
        return switch (response.get().statusCode()) {
            case 200 -> Cancel.Outcome.CANCELLED;
            case 409 -> Cancel.Outcome.REFUSED;
            default -> Cancel.Outcome.UNKNOWN;
        };
    }

    /** A POST to a random running member; empty when it failed or timed out (or was answered with a 5xx). */
    private Optional<HttpResponse<String>> send(String path, String body) {
        List<Member> running = cluster.running();
        Member member = running.get(ThreadLocalRandom.current().nextInt(running.size()));
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(member.httpUrl() + "/api/v1" + path))
                    .timeout(timeout).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() >= 500 ? Optional.empty() : Optional.of(response);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
