package dev.gantry.it.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Etcdctl;
import dev.gantry.it.cluster.GantryCli;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.access.ApiToken;
import dev.gantry.access.BearerToken;
import dev.gantry.access.Role;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.EtcdUser;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.TlsOptions;

/**
 * etcd authentication on, as docs/operations.md ("Authentication") sets it up: a real {@code gantry server} whose
 * job layer connects as a user with the role that section gives it ({@code --job-user}), and a real {@code gantry agent} with nothing but the credential
 * {@code gantry node credential} made for its node: it runs a job to SUCCEEDED, and that credential cannot touch
 * another node's keys. The last test stops the agent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentCredentialIT {
    private static final String NODE = "gpu-a";
    private static final String USER = "node-" + NODE;
    private static final String ROOT = "--user=root:root-pw";
    private static final String DENIED = "Error: etcdserver: permission denied\n";
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static Path dir;
    private static Path rootPassword;
    private static Path nodePassword;
    private static Cluster cluster;
    private static Etcdctl etcdctl;
    private static KvClient root;
    private static AgentProcess agent;
    /** The REST API as a submitter: the server checks tokens from the store it reads as its job user. */
    private static Api api;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("gantry-agent-credential-it");
        rootPassword = Files.writeString(dir.resolve("root.password"), "root-pw\n");
        nodePassword = Files.writeString(dir.resolve("node.password"), "gpu-a-pw\n");
        Path jobsPassword = Files.writeString(dir.resolve("jobs.password"), "jobs-pw\n");
        cluster = Cluster.start(Implementation.GANTRY, 1, List.of("--scheduler=on", "--agent=off", "--api-auth=on",
                "--job-user=gantry-jobs", "--job-password-file=" + jobsPassword));
        etcdctl = Etcdctl.of(cluster);
        ok(etcdctl.run("user", "add", "root:root-pw"));
        // the job layer's role as docs/operations.md gives it
        ok(etcdctl.run("role", "add", "gantry-jobs"));
        for (String prefix : List.of("/tasks/", "/assignments/", "/nodes/", "/config/", "/election/", "/secrets/")) {
            ok(etcdctl.run("role", "grant-permission", "--prefix", "gantry-jobs", "readwrite", prefix));
        }
        ok(etcdctl.run("role", "grant-permission", "--prefix", "gantry-jobs", "read", "/tokens/"));
        ok(etcdctl.run("user", "add", "gantry-jobs:jobs-pw"));
        ok(etcdctl.run("user", "grant-role", "gantry-jobs", "gantry-jobs"));
        assertThat(ok(etcdctl.run("auth", "enable"))).isEqualTo("Authentication Enabled\n");
        root = KvClient.connect(cluster.endpoints(), TlsOptions.NONE, new EtcdUser("root", "root-pw"));

        GantryCli.Run credential = credential();
        assertThat(credential.exitCode()).as(credential.toString()).isZero();
        assertThat(credential.stdout()).contains("user " + USER + " created", "role " + USER + ": READWRITE /nodes/" + NODE);

        agent = AgentProcess.start(NODE, dir.resolve(NODE), cluster.endpoints(), "1xH100-80GB", 5, AgentProcess.installTrainer(dir),
                List.of("--user", USER, "--password-file", nodePassword.toString()));
        Await.until(NODE + " registered", DEADLINE, () -> root.get(Keys.node(NODE)), AgentCredentialIT::logs);

        BearerToken bearer = BearerToken.generate();
        ApiToken token = bearer.record("ci", Role.SUBMITTER, Instant.now(), null);
        root.put(token.key(), Json.write(token)); // as 'gantry token create --user root' writes it
        api = new Api(cluster.members().get(0).httpUrl(), bearer.text());
        Await.until("the API to accept the token", DEADLINE, () -> Optional.of(api.jobs()).filter(code -> code == 200),
                AgentCredentialIT::logs);
    }

    @AfterAll
    static void stop() throws IOException {
        Cleanup.closeAndDelete(dir, agent, root, cluster);
    }

    @Test
    @Order(1)
    void anAgentWithOnlyItsNodesCredentialRunsAJobToSucceeded() {
        String id = api.submit(Map.of("name", "with-credential", "model", "Qwen/Qwen2.5-0.5B-Instruct",
                "datasets", List.of("AI-ModelScope/alpaca-gpt4-data-en#100"), "trainType", "lora",
                "resources", Map.of("gpus", 1, "gpuModel", "H100"), "env", Map.of("FAKE_STEPS", "3", "FAKE_STEP_SECONDS", "0.2")));
        Task done = Await.until(id + " finished", DEADLINE, () -> Optional.of(api.job(id)).filter(t -> t.status().isTerminal()),
                AgentCredentialIT::logs);
        assertThat(done.status()).as(done.reason() + logs()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.node()).isEqualTo(NODE);
        assertThat(done.submittedBy()).isEqualTo("ci");
        assertThat(root.list(Keys.assignments(NODE)).kvs()).as("the agent deleted its assignment as the task ended").isEmpty();
    }

    @Test
    @Order(2)
    void theNodesCredentialCannotWriteAnotherNodesKeys() {
        String asNode = "--user=" + USER + ":gpu-a-pw";
        assertThat(refusal(etcdctl.run(asNode, "put", "/nodes/gpu-b", "{}"))).isEqualTo(DENIED);
        assertThat(refusal(etcdctl.run(asNode, "put", "/assignments/gpu-b/x", "{}"))).isEqualTo(DENIED);
        assertThat(refusal(etcdctl.run(asNode, "del", "/nodes/gpu-b"))).isEqualTo(DENIED);
        assertThat(refusal(etcdctl.run(asNode, "put", "/config/nodes/" + NODE, "{}"))).as("nor uncordon itself").isEqualTo(DENIED);
        Etcdctl.Result own = etcdctl.run(asNode, "get", "/nodes/" + NODE);
        assertThat(own.exitCode()).as(own.toString()).isZero();
        assertThat(own.stdout()).startsWith("/nodes/" + NODE + "\n{");
    }

    @Test
    @Order(3)
    void anAgentWithAWrongPasswordOrAnotherNodesCredentialExitsSayingWhy() throws IOException {
        Path wrong = Files.writeString(dir.resolve("wrong.password"), "not-it\n");
        GantryCli.Run badPassword = GantryCli.run(dir, Map.of(), agentArgs(NODE, "wrong-password", wrong));
        assertThat(badPassword.exitCode()).as(badPassword.toString()).isEqualTo(1);
        assertThat(badPassword.stderr()).contains("gantry agent: cannot connect as user " + USER + " to [" + cluster.endpoints()
                + "]: etcdserver: authentication failed, invalid user ID or password");

        GantryCli.Run otherNode = GantryCli.run(dir, Map.of(), agentArgs("gpu-b", "other-node", nodePassword));
        assertThat(otherNode.exitCode()).as(otherNode.toString()).isEqualTo(1);
        assertThat(otherNode.stderr()).contains("gantry agent: user " + USER + " may not read /nodes/gpu-b (etcdserver: permission "
                + "denied): is it node gpu-b's credential? 'gantry node credential gpu-b' makes one");
    }

    /** Everything the agent did, from registering to giving its lease back at stop, its credential permitted. */
    @Test
    @Order(4)
    void stoppedTheAgentGivesItsLeaseBackAndWasRefusedNothing() throws IOException {
        agent.stop();
        assertThat(agent.isRunning()).isFalse();
        assertThat(root.get(Keys.node(NODE))).as("revoked at stop, not left to expire" + logs()).isEmpty();
        assertThat(Files.readString(agent.log)).doesNotContain("permission denied", "PERMISSION_DENIED");
    }

    /** An operator widened the role by hand: making the credential again narrows it back, and changes nothing more. */
    @Test
    @Order(5)
    void makingTheCredentialAgainMakesItExactlySoAgain() {
        String before = ok(etcdctl.run(ROOT, "role", "get", USER));
        ok(etcdctl.run(ROOT, "role", "grant-permission", "--prefix", USER, "readwrite", "/config/"));
        ok(etcdctl.run(ROOT, "role", "add", "extra"));
        ok(etcdctl.run(ROOT, "user", "grant-role", USER, "extra"));

        GantryCli.Run again = credential();
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.stdout()).contains("role " + USER + ": revoked READWRITE /config/ .. /config0",
                "user " + USER + ": password changed", "user " + USER + ": role extra revoked").doesNotContain("created");
        assertThat(ok(etcdctl.run(ROOT, "role", "get", USER))).isEqualTo(before);
        assertThat(ok(etcdctl.run(ROOT, "user", "get", USER))).isEqualTo("User: " + USER + "\nRoles: " + USER + "\n");

        GantryCli.Run certificateOnly = GantryCli.run(dir, Map.of(), List.of("node", "credential", "gpu-c", "--no-password",
                "--user", "root", "--password-file", rootPassword.toString(), "--endpoints", cluster.endpoints()));
        assertThat(certificateOnly.stdout()).as(certificateOnly.toString())
                .contains("user node-gpu-c created without a password (its client certificate names it)");
        assertThat(refusal(etcdctl.run("--user=node-gpu-c:a-guess", "get", "/nodes/gpu-c"))).contains("authentication failed");
    }

    private static GantryCli.Run credential() {
        return GantryCli.run(dir, Map.of(), List.of("node", "credential", NODE, "--node-password-file", nodePassword.toString(),
                "--user", "root", "--password-file", rootPassword.toString(), "--endpoints", cluster.endpoints()));
    }

    private static String ok(Etcdctl.Result result) {
        assertThat(result.exitCode()).as("%s", result).isZero();
        return result.stdout();
    }

    /** What etcdctl says of a refused request, less the retry warnings its client logs first. */
    private static String refusal(Etcdctl.Result result) {
        assertThat(result.exitCode()).as("%s", result).isNotZero();
        return result.stderr().lines().filter(line -> !line.startsWith("{\"level\"")).map(line -> line + "\n").reduce("", String::concat);
    }

    private static List<String> agentArgs(String node, String workDir, Path password) {
        return List.of("agent", "--endpoints", cluster.endpoints(), "--node-id", node, "--simulate-gpus", "1xH100-80GB",
                "--work-dir", dir.resolve(workDir).toString(), "--listen-logs", "127.0.0.1:0", "--user", USER,
                "--password-file", password.toString());
    }

    private static String logs() {
        return cluster.logTails(30) + (agent == null ? "" : agent.logTail());
    }
}
