package dev.gantry.api;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Node;
import dev.gantry.job.Task;
import dev.gantry.kv.client.KvClient;

/**
 * A job's log, from the agent of the node that ran it: the task names its node, the node's record
 * ({@code /nodes/<id>}) names the agent's log URL. Logs stay on the host (as with Slurm's output files or
 * {@code kubectl logs}); the server only relays them, so a node that is gone takes its logs' reachability with it.
 */
@Singleton
public class JobLogs {
    private static final Duration CONNECT = Duration.ofSeconds(3);
    private final KvClient kv;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT).build();

    @Inject
    public JobLogs(KvClient kv) {
        this.kv = kv;
    }

    /** The open log stream of the task's latest run; the caller closes it. */
    public InputStream open(Task task, String stream, int tail, boolean follow) {
        if (task.node() == null) {
            throw new ApiException(404, "job " + task.id() + " has no log yet: it is " + task.status()
                    + (task.reason() != null ? " (" + task.reason() + ")" : ""), java.util.List.of());
        }
        Node node = kv.get(Keys.node(task.node())).map(n -> Json.read(n.value(), Node.class)).orElseThrow(() ->
                new ApiException(503, "node " + task.node() + " is not connected: job " + task.id()
                        + "'s log is on that host, under the agent's --work-dir", java.util.List.of()));
        if (node.agentUrl() == null) {
            throw new ApiException(503, "the agent of node " + task.node() + " does not serve logs", java.util.List.of());
        }
        URI uri = URI.create(node.agentUrl() + "/tasks/" + URLEncoder.encode(task.id(), StandardCharsets.UTF_8) + "/log?stream="
                + stream + "&tail=" + tail + "&follow=" + follow);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
        if (node.logToken() != null) {
            request.header("Authorization", "Bearer " + node.logToken());
        }
        if (!follow) {
            request.timeout(Duration.ofSeconds(10));
        }
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                String why;
                try (InputStream body = response.body()) {
                    why = new String(body.readNBytes(2000), StandardCharsets.UTF_8).strip();
                }
                throw new ApiException(response.statusCode() == 404 ? 404 : 502, "node " + task.node() + ": " + why, java.util.List.of());
            }
            return response.body();
        } catch (IOException e) {
            throw new ApiException(503, "cannot reach the agent of node " + task.node() + " at " + node.agentUrl() + ": " + e,
                    java.util.List.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted", java.util.List.of());
        }
    }
}
