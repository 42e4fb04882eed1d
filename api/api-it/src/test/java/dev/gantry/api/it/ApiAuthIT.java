package dev.gantry.api.it;

import static dev.gantry.api.it.Http.json;
import static dev.gantry.api.it.Http.send;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gantry.access.BearerToken;
import dev.gantry.access.Role;
import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.GantryCli;
import dev.gantry.it.cluster.Member;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Task;
import dev.gantry.kv.client.KvClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server run with {@code --api-auth on}: tokens made with {@code gantry token create}, the roles each allows, jobs
 * that record who submitted them, revocation, the CLI's {@code --token}, and the console's session cookie. Every
 * refused request must leave {@code /tasks/} untouched.
 */
class ApiAuthIT {
    private static final Duration AWAIT = Duration.ofSeconds(60);
    private static final String JOB = "{\"name\": \"auth-job\", \"command\": [\"true\"]}";

    private static ApiServer server;
    private static Member member;
    private static KvClient kv;
    private static Path cliDir;
    /** Made once through the CLI: role → token text. */
    private static final Map<String, String> TOKENS = new HashMap<>();

    @TempDir
    static Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        server = ApiServer.start(List.of("--api-auth", "on"));
        member = server.member;
        kv = server.kv;
        cliDir = dir;
        for (String[] holder : new String[][] {{"vera", "viewer"}, {"bob", "submitter"}, {"carol", "submitter"}, {"olga", "operator"}}) {
            GantryCli.Run made = cli(Map.of(), "token", "create", "--name", holder[0], "--role", holder[1], "--endpoints", member.clientUrl());
            assertThat(made.exitCode()).as(made.toString()).isZero();
            assertThat(made.stdout().strip()).matches("gantry_[a-z0-9]{12}\\.[A-Za-z0-9_-]{43}");
            TOKENS.put(holder[0], made.stdout().strip());
        }
        for (String token : TOKENS.values()) { // the server learns tokens through its watch of /tokens/
            Await.until("the API to accept a new token", AWAIT,
                    () -> Optional.of(send(request("/jobs", token).GET())).filter(r -> r.statusCode() == 200), () -> member.logTail(40));
        }
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void refusesMissingMalformedUnknownExpiredAndRevokedTokensWith401() throws Exception {
        List<String> before = taskKeys();
        HttpResponse<String> none = send(request("/jobs", null).GET());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"gantry\"");
        assertThat(error(none)).contains("missing bearer token");
        assertThat(error(send(request("/jobs", "not-a-token").POST(body(JOB))))).contains("not a Gantry API token");
        String unknown = BearerToken.generate().text();
        assertThat(send(request("/jobs", unknown).POST(body(JOB))).statusCode()).isEqualTo(401);
        String forged = TOKENS.get("bob").substring(0, TOKENS.get("bob").indexOf('.') + 1) + BearerToken.generate().secret();
        assertThat(error(send(request("/jobs", forged).POST(body(JOB))))).contains("unknown or revoked");

        BearerToken stale = BearerToken.generate();
        var expired = stale.record("old", Role.ADMIN, Instant.now().minusSeconds(7200), Instant.now().minusSeconds(60));
        kv.put(expired.key(), Json.write(expired));
        Await.until("the expired token to be known", AWAIT, () -> Optional.of(error(send(request("/jobs", stale.text()).GET())))
                .filter(e -> e.contains("expired")), () -> member.logTail(20));

        GantryCli.Run made = cli(Map.of(), "token", "create", "--name", "temp", "--role", "admin", "--ttl", "1h", "--endpoints", member.clientUrl());
        String temp = made.stdout().strip();
        Await.until("the new token to work", AWAIT, () -> Optional.of(send(request("/jobs", temp).GET())).filter(r -> r.statusCode() == 200),
                () -> member.logTail(20));
        String id = BearerToken.parse(temp).orElseThrow().id();
        GantryCli.Run revoked = cli(Map.of(), "token", "revoke", id, "--endpoints", member.clientUrl());
        assertThat(revoked.exitCode()).as(revoked.toString()).isZero();
        Await.until("the revoked token to be refused", AWAIT,
                () -> Optional.of(send(request("/jobs", temp).GET())).filter(r -> r.statusCode() == 401), () -> member.logTail(20));
        assertThat(cli(Map.of(), "token", "revoke", id, "--endpoints", member.clientUrl()).exitCode()).isEqualTo(1);
        Await.until("an audit line for the revocation", AWAIT, () -> Optional.of(member.logTail(400))
                .filter(log -> log.contains("API token " + id + " revoked (was temp's, role admin)")), () -> member.logTail(40));
        String log = Files.readString(member.logFile());
        assertThat(log).contains("API token " + id + " added: temp, role admin, expires ");
        for (String token : List.of(temp, TOKENS.get("vera"), TOKENS.get("bob"), TOKENS.get("olga"))) {
            assertThat(log).as("a token's secret in the server's log").doesNotContain(token.substring(token.indexOf('.') + 1));
        }

        assertThat(taskKeys()).isEqualTo(before);
        assertThat(send(HttpRequest.newBuilder(URI.create(member.httpUrl() + "/")).GET()).statusCode())
                .as("the console's page itself needs no token").isEqualTo(200);
    }

    @Test
    void aViewerReadsButMayNotSubmitCancelOrOperate() {
        String viewer = TOKENS.get("vera");
        String job = id(created(send(request("/jobs", TOKENS.get("bob")).POST(body(JOB)))));
        List<String> before = taskKeys();
        for (String path : List.of("/jobs", "/jobs/" + job, "/nodes", "/config", "/views/overview", "/session")) {
            assertThat(send(request(path, viewer).GET()).statusCode()).as(path).isEqualTo(200);
        }
        HttpResponse<String> submit = send(request("/jobs", viewer).POST(body(JOB)));
        assertThat(submit.statusCode()).isEqualTo(403);
        assertThat(error(submit)).isEqualTo("vera has role viewer; POST /api/v1/jobs needs submitter");
        assertThat(send(request("/jobs/" + job + "/cancel", viewer).POST(body(""))).statusCode()).isEqualTo(403);
        assertThat(send(request("/nodes/n1/cordon", viewer).POST(body(""))).statusCode()).isEqualTo(403);
        assertThat(send(request("/config/limits", viewer).PUT(body("{}"))).statusCode()).isEqualTo(403);
        assertThat(send(request("/nodes/n1/cordon", TOKENS.get("bob")).POST(body(""))).statusCode())
                .as("nodes are an operator's").isEqualTo(403);
        assertThat(taskKeys()).isEqualTo(before);
    }

    @Test
    void jobsRecordTheirSubmitterWhoAloneMayCancelThemUnlessAnOperatorDoes() {
        JsonNode bobs = created(send(request("/jobs", TOKENS.get("bob")).POST(body(JOB))));
        assertThat(bobs.get("submittedBy").asText()).isEqualTo("bob");
        Task stored = Json.read(kv.get(Keys.task(id(bobs))).orElseThrow().value(), Task.class);
        assertThat(stored.submittedBy()).isEqualTo("bob");

        HttpResponse<String> carolCancels = send(request("/jobs/" + id(bobs) + "/cancel", TOKENS.get("carol")).POST(body("")));
        assertThat(carolCancels.statusCode()).isEqualTo(403);
        assertThat(error(carolCancels)).contains("carol may cancel only the jobs it submitted", "submitted by bob");
        assertThat(json(send(request("/jobs/" + id(bobs), TOKENS.get("vera")).GET())).get("status").asText()).isEqualTo("PENDING");

        HttpResponse<String> bobCancels = send(request("/jobs/" + id(bobs) + "/cancel", TOKENS.get("bob")).POST(body("")));
        assertThat(bobCancels.statusCode()).as(bobCancels.body()).isEqualTo(200);
        assertThat(json(bobCancels).get("status").asText()).isEqualTo("CANCELLED");

        String carols = id(created(send(request("/jobs", TOKENS.get("carol")).POST(body(JOB)))));
        HttpResponse<String> operatorCancels = send(request("/jobs/" + carols + "/cancel", TOKENS.get("olga")).POST(body("")));
        assertThat(operatorCancels.statusCode()).as(operatorCancels.body()).isEqualTo(200);
    }

    @Test
    void theCliSendsItsTokenAndListsTokensWithoutSecrets() throws Exception {
        GantryCli.Run without = cli(Map.of(), "job", "ls", "--server", member.httpUrl());
        assertThat(without.exitCode()).isEqualTo(1);
        assertThat(without.stderr()).contains("missing bearer token", "--token or set GANTRY_TOKEN");
        GantryCli.Run withFlag = cli(Map.of(), "job", "submit", "--name", "cli-job", "--server", member.httpUrl(),
                "--token", TOKENS.get("carol"), "-o", "json", "--", "true");
        assertThat(withFlag.exitCode()).as(withFlag.toString()).isZero();
        assertThat(Json.mapper().readTree(withFlag.stdout()).get("submittedBy").asText()).isEqualTo("carol");
        String cliJob = Json.mapper().readTree(withFlag.stdout()).get("id").asText();
        GantryCli.Run shown = cli(Map.of("GANTRY_TOKEN", TOKENS.get("vera")), "job", "get", cliJob, "--server", member.httpUrl());
        assertThat(shown.stdout()).containsPattern("Submitted by: +carol\n");
        GantryCli.Run withEnv = cli(Map.of("GANTRY_TOKEN", TOKENS.get("vera")), "job", "ls", "--server", member.httpUrl());
        assertThat(withEnv.exitCode()).as(withEnv.toString()).isZero();

        GantryCli.Run list = cli(Map.of(), "token", "ls", "--endpoints", member.clientUrl());
        assertThat(list.exitCode()).as(list.toString()).isZero();
        assertThat(list.stdout()).contains("vera", "viewer", "bob", "submitter", "olga", "operator");
        for (String token : TOKENS.values()) {
            assertThat(list.stdout()).doesNotContain(token.substring(token.indexOf('.') + 1));
            assertThat(kv.list(Keys.TOKENS).kvs().toString()).doesNotContain(token.substring(token.indexOf('.') + 1));
        }
        GantryCli.Run badRole = cli(Map.of(), "token", "create", "--name", "x", "--role", "root", "--endpoints", member.clientUrl());
        assertThat(badRole.exitCode()).isEqualTo(2);
        assertThat(badRole.stderr()).contains("unknown role 'root'");
    }

    @Test
    void theConsoleLogsInWithAnHttpOnlyCookie() {
        HttpResponse<String> wrong = send(request("/session", null).POST(body("{\"token\": \"" + BearerToken.generate().text() + "\"}")));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();

        HttpResponse<String> login = send(request("/session", null).POST(body("{\"token\": \"" + TOKENS.get("olga") + "\"}")));
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        assertThat(json(login).get("name").asText()).isEqualTo("olga");
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith("gantry_token=gantry_").containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Strict");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));

        HttpResponse<String> session = send(request("/session", null).header("Cookie", cookie).GET());
        assertThat(json(session).get("role").asText()).isEqualTo("operator");
        assertThat(send(request("/jobs", null).header("Cookie", cookie).GET()).statusCode()).isEqualTo(200);

        HttpResponse<String> logout = send(request("/session", null).header("Cookie", cookie).DELETE());
        assertThat(logout.statusCode()).isEqualTo(204);
        assertThat(logout.headers().firstValue("Set-Cookie").orElseThrow()).startsWith("gantry_token=;").contains("Max-Age=0");
    }

    // --- helpers

    private static List<String> taskKeys() {
        return kv.list(Keys.TASKS).kvs().stream().map(e -> e.key() + "@" + e.modRevision()).toList();
    }

    private static JsonNode created(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return json(response);
    }

    private static String id(JsonNode task) {
        return task.get("id").asText();
    }

    private static String error(HttpResponse<String> response) {
        return json(response).path("error").asText();
    }

    private static GantryCli.Run cli(Map<String, String> env, String... args) throws Exception {
        return GantryCli.run(cliDir, env, List.of(args));
    }

    private static HttpRequest.BodyPublisher body(String text) {
        return HttpRequest.BodyPublishers.ofString(text);
    }

    private static HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(member.httpUrl() + "/api/v1" + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json");
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }
}
