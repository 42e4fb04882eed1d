package dev.gantry.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.gantry.job.Json;
import dev.gantry.kv.client.TlsOptions;

/**
 * The REST API ({@code /api/v1}) over {@link HttpClient}. An error answer becomes a {@link CommandFailed} with
 * the API's message and one line per field error.
 */
final class ApiClient {
    private final URI server;
    private final HttpClient http;
    /** Sent as {@code Authorization: Bearer} when not null. */
    private final String token;

    /** {@code https://} servers are verified as {@code tls} says; {@code http://} ones take no TLS files. */
    ApiClient(String server, TlsOptions tls, String token) {
        this.token = token;
        try {
            URI uri = URI.create(server.endsWith("/") ? server.substring(0, server.length() - 1) : server);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("no scheme or host");
            }
            this.server = uri;
        } catch (IllegalArgumentException e) {
            throw new UsageError("--server must be a URL like http://localhost:2381, not '" + server + "'");
        }
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (this.server.getScheme().equals("https")) {
            http.sslContext(tls.sslContext());
        } else if (!tls.isEmpty()) {
            throw new UsageError("--server " + server + " is plain http, but TLS files (--cacert, --cert) were given: "
                    + "write it https://");
        }
        this.http = http.build();
    }

    JsonNode get(String path) {
        return send(request(path).GET());
    }

    JsonNode post(String path, String contentType, String body) {
        return send(request(path).header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    JsonNode put(String path, String contentType, String body) {
        return send(request(path).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    JsonNode put(String path, String contentType, byte[] body) {
        return send(request(path).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    JsonNode delete(String path) {
        return send(request(path).DELETE());
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** A text resource copied to {@code out} as it arrives (no timeout: a followed log streams until it ends). */
    void stream(String path, java.io.OutputStream out) {
        HttpRequest request = authorized(HttpRequest.newBuilder(URI.create(server + "/api/v1" + path))).header("Accept", "text/plain").GET().build();
        try {
            HttpResponse<java.io.InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream body = response.body()) {
                if (response.statusCode() >= 400) {
                    String raw = new String(body.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                    throw failure(response.statusCode(), parse(raw), raw);
                }
                byte[] buffer = new byte[8192];
                int n;
                while ((n = body.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            }
        } catch (ConnectException e) {
            throw new CommandFailed("cannot reach the Gantry server at " + server + " (is it running? set --server or GANTRY_SERVER)");
        } catch (IOException e) {
            throw new CommandFailed("request to " + server + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailed("interrupted");
        }
    }

    private HttpRequest.Builder request(String path) {
        return authorized(HttpRequest.newBuilder(URI.create(server + "/api/v1" + path))).timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json");
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder request) {
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }

    private JsonNode send(HttpRequest.Builder request) {
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new CommandFailed("cannot reach the Gantry server at " + server + " (is it running? set --server or GANTRY_SERVER)");
        } catch (SSLException e) {
            throw new CommandFailed("TLS with " + server + " failed: " + e.getMessage()
                    + " (check --cacert, and --cert/--key if the server requires a client certificate)");
        } catch (IOException e) {
            throw new CommandFailed("request to " + server + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailed("interrupted");
        }
        JsonNode body = parse(response.body());
        if (response.statusCode() >= 400) {
            throw failure(response.statusCode(), body, response.body());
        }
        return body;
    }

    private static JsonNode parse(String text) {
        if (text == null || text.isBlank()) {
            return Json.mapper().missingNode();
        }
        try {
            return Json.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            return Json.mapper().missingNode();
        }
    }

    private static CommandFailed failure(int status, JsonNode body, String raw) {
        String error = body.path("error").asText(null);
        if (error == null) {
            error = raw == null || raw.isBlank() ? "HTTP " + status : "HTTP " + status + ": " + raw.strip();
        }
        List<String> details = new ArrayList<>();
        body.path("fields").forEach(f -> details.add(f.path("field").asText() + ": " + f.path("message").asText()));
        // One problem is already the message; list fields only when they add something.
        if (details.size() == 1 && error.endsWith(details.getFirst())) {
            details.clear();
        }
        if (status == 401) {
            details.add("the server requires an API token: pass --token or set GANTRY_TOKEN (an admin makes one with 'gantry token create')");
        }
        return new CommandFailed(error + " (HTTP " + status + ")", details);
    }
}
