package dev.gantry.agent.logs;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Predicate;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

import dev.gantry.agent.progress.ProgressTail;
import dev.gantry.agent.task.TaskDirs;

/**
 * Serves the logs of the tasks run on this host to the servers (the API's {@code GET /api/v1/jobs/{id}/logs}
 * comes here): {@code GET /tasks/<id>/log?stream=stdout|stderr&tail=N&follow=true}. Follow streams what the
 * process appends, as {@code kubectl logs -f}, until the run ends and everything was sent, or the reader goes.
 * The task's secret values are masked in all it serves ({@link SecretMask}); when they cannot be read, it serves
 * nothing rather than an unmasked log. Every request must carry {@code Authorization: Bearer <token>}: a random
 * token made at start and published in the node's record, which only readers of {@code /nodes/} (the servers) see.
 */
public final class LogServer implements AutoCloseable {
    static final int DEFAULT_TAIL = 200;
    static final int MAX_TAIL = 10_000;
    private static final long FOLLOW_POLL_MS = 250;

    private final HttpServer server;
    private final Function<String, Optional<Path>> dirOf;
    private final Predicate<String> running;
    private final Function<String, Collection<String>> secretsOf;
    private final String token = newToken();

    private LogServer(HttpServer server, Function<String, Optional<Path>> dirOf, Predicate<String> running,
            Function<String, Collection<String>> secretsOf) {
        this.server = server;
        this.dirOf = dirOf;
        this.running = running;
        this.secretsOf = secretsOf;
    }

    /**
     * @param dirOf     a task's run directory on this host
     * @param running   whether a task's process still runs (follow ends when it does not)
     * @param secretsOf the secret values a task's log may hold, to mask
     */
    public static LogServer start(InetSocketAddress address, Function<String, Optional<Path>> dirOf, Predicate<String> running,
            Function<String, Collection<String>> secretsOf) throws IOException {
        HttpServer server = HttpServer.create(address, 64);
        LogServer logs = new LogServer(server, dirOf, running, secretsOf);
        server.createContext("/tasks/", logs::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return logs;
    }

    /** What requests must send as {@code Authorization: Bearer}; changes with every start of the agent. */
    public String token() {
        return token;
    }

    private static String newToken() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private boolean authorized(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        String expected = "Bearer " + token;
        return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!authorized(exchange)) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"gantry-agent\"");
                text(exchange, 401, "this agent serves logs to Gantry servers only: send the token of its node's record\n");
                return;
            }
            String[] parts = exchange.getRequestURI().getPath().split("/");
            if (!exchange.getRequestMethod().equals("GET") || parts.length != 4 || !parts[3].equals("log")) {
                text(exchange, 404, "no such resource: GET /tasks/<id>/log\n");
                return;
            }
            String id = parts[2];
            Map<String, String> query = query(exchange.getRequestURI());
            String stream = query.getOrDefault("stream", "stdout");
            if (!stream.equals("stdout") && !stream.equals("stderr")) {
                text(exchange, 400, "stream must be stdout or stderr\n");
                return;
            }
            int tail;
            try {
                tail = Integer.parseInt(query.getOrDefault("tail", String.valueOf(DEFAULT_TAIL)));
            } catch (NumberFormatException e) {
                text(exchange, 400, "tail must be a number of lines\n");
                return;
            }
            if (tail < 0 || tail > MAX_TAIL) {
                text(exchange, 400, "tail must be between 0 and " + MAX_TAIL + "\n");
                return;
            }
            Optional<Path> dir = TaskDirs.validId(id) ? dirOf.apply(id) : Optional.empty();
            if (dir.isEmpty()) {
                text(exchange, 404, "task " + id + " has not run on this node\n");
                return;
            }
            SecretMask mask;
            try {
                mask = SecretMask.of(secretsOf.apply(id));
            } catch (RuntimeException e) {
                text(exchange, 503, "cannot read the secrets of task " + id + " to mask them in its log: " + e.getMessage() + "\n");
                return;
            }
            Path file = dir.get().resolve(stream + ".log");
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, 0); // chunked
            SecretMask.Stream out = mask.wrap(exchange.getResponseBody());
            long offset = Files.exists(file) ? Files.size(file) : 0;
            for (String line : ProgressTail.lastLines(file, tail)) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
            if (Boolean.parseBoolean(query.get("follow"))) {
                follow(file, offset, id, out);
            }
            out.finish();
        }
    }

    private void follow(Path file, long offset, String id, OutputStream out) throws IOException {
        try {
            while (true) {
                boolean live = running.test(id); // read before the file: output written before the end is sent
                long length = Files.exists(file) ? Files.size(file) : 0;
                if (length > offset) {
                    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                        byte[] bytes = new byte[(int) Math.min(length - offset, 1 << 20)];
                        raf.seek(offset);
                        raf.readFully(bytes);
                        offset += bytes.length;
                        out.write(bytes);
                        out.flush();
                    }
                    continue;
                }
                if (!live) {
                    return;
                }
                Thread.sleep(FOLLOW_POLL_MS); // polling a file for appended output
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void text(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> query = new HashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            query.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return query;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
