package dev.gantry.it.agent;

import dev.gantry.job.Node;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.gantry.agent.node.Fence;
import dev.gantry.agent.task.TaskStore;
import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Progress;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.job.Transition;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;

/**
 * The agent end to end: a real {@code gantry server} (KV, scheduler, API) and two real {@code gantry agent}
 * processes with simulated H100s, running a fixture trainer that behaves like ms-swift's {@code swift sft}.
 */
class AgentEndToEndIT {
    private static final long TTL_SECONDS = 4;
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final Duration JOB_DEADLINE = Duration.ofSeconds(90);

    private static Cluster cluster;
    private static KvClient kv;
    private static Api api;
    private static Path dir;
    private static Path trainerDir;
    private static final Map<String, AgentProcess> agents = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws IOException {
        cluster = Cluster.start(Implementation.GANTRY, 1, List.of("--scheduler=on"));
        kv = KvClient.connect(cluster.endpoints());
        api = new Api(cluster.members().get(0).httpUrl());
        dir = Files.createTempDirectory("gantry-agent-it");
        trainerDir = AgentProcess.installTrainer(dir);
        for (String id : List.of("gpu-a", "gpu-b")) {
            agents.put(id, AgentProcess.start(id, dir.resolve(id), cluster.endpoints(), "2xH100-80GB", TTL_SECONDS, trainerDir));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        agents.values().forEach(AgentProcess::close);
        Cleanup.closeAndDelete(dir, kv, cluster);
    }

    /** Both agents up and registered, whatever the previous test did to them. */
    @BeforeEach
    void agentsRegistered() {
        for (AgentProcess agent : agents.values()) {
            if (!agent.isRunning()) {
                agent.launch();
            }
        }
        Await.until("both agents registered", Duration.ofSeconds(60), () -> agents.keySet().stream()
                .allMatch(id -> kv.get(Keys.node(id)).isPresent()) ? Optional.of(true) : Optional.empty(), this::logs);
    }

    @Test
    void aJobGoesFromPendingToSucceededWithItsProgressVisibleThroughTheApi() throws Exception {
        String id = api.submit(lora("lora-ok", Map.of("FAKE_STEPS", "8", "FAKE_STEP_SECONDS", "0.4")));
        List<Progress> seenRunning = new ArrayList<>();
        CompletableFuture<String> followed = null;
        Task done = null;
        long deadline = System.nanoTime() + JOB_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            Task task = api.job(id);
            if (task.status() == TaskStatus.RUNNING && task.progress() != null) {
                seenRunning.add(task.progress());
                if (followed == null) {
                    InputStream log = api.follow(id);
                    followed = CompletableFuture.supplyAsync(() -> {
                        try (log) {
                            return new String(log.readAllBytes(), StandardCharsets.UTF_8);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                }
            }
            if (task.status().isTerminal()) {
                done = task;
                break;
            }
            Thread.sleep(100); // polling the API as a user would
        }
        assertThat(done).as("job finished" + logs()).isNotNull();
        assertThat(done.status()).as(done.reason() + logs()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.exitCode()).isZero();
        assertThat(done.timeline()).extracting(Transition::to)
                .containsExactly(TaskStatus.PENDING, TaskStatus.SCHEDULED, TaskStatus.RUNNING, TaskStatus.SUCCEEDED);
        assertThat(seenRunning).as("progress while running").anySatisfy(p -> {
            assertThat(p.step()).isBetween(1L, 7L);
            assertThat(p.totalSteps()).isEqualTo(8);
            assertThat(p.loss()).isPositive();
            assertThat(p.etaSeconds()).isNotNull();
        });
        assertThat(done.progress().step()).isEqualTo(8);
        assertThat(done.progress().percent()).isEqualTo(100.0);

        String log = api.logs(id, "tail=100").body();
        assertThat(log).contains("'global_step/max_steps': '8/8'").contains("CUDA_VISIBLE_DEVICES: " + gpuIndex(done));
        assertThat(followed).as("a followed log ends when the job does").isNotNull();
        assertThat(followed.get(30, TimeUnit.SECONDS)).contains("'global_step/max_steps': '8/8'").contains("last_model_checkpoint");
        Path output = agents.get(done.node()).runDir(id, 0).resolve("output");
        try (Stream<Path> files = Files.walk(output)) {
            assertThat(files.filter(p -> p.getFileName().toString().equals("logging.jsonl"))).hasSize(1);
        }
    }

    @Test
    void aFailingJobEndsFailedWithItsExitCodeAndTheLastErrorLine() throws Exception {
        String id = api.submit(lora("lora-fails", Map.of("FAKE_STEPS", "2", "FAKE_STEP_SECONDS", "0.2", "FAKE_EXIT", "3")));
        Task done = awaitTerminal(id);
        assertThat(done.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(done.exitCode()).isEqualTo(3);
        assertThat(done.reason()).isEqualTo("exited with code 3: RuntimeError: CUDA out of memory (test fixture told to fail)");
        assertThat(api.logs(id, "stream=stderr").body()).contains("RuntimeError");
        assertThat(api.logs(id, "stream=nonsense").statusCode()).isEqualTo(400);

        // The agent serves logs only to whoever read its token in /nodes/ (the servers); the API never shows it.
        Node node = Json.read(kv.get(Keys.node(done.node())).orElseThrow().value(), Node.class);
        assertThat(node.logToken()).hasSizeGreaterThanOrEqualTo(43);
        URI direct = URI.create(node.agentUrl() + "/tasks/" + id + "/log?stream=stderr");
        try (HttpClient http = HttpClient.newHttpClient()) {
            assertThat(http.send(HttpRequest.newBuilder(direct).build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
            assertThat(http.send(HttpRequest.newBuilder(direct).header("Authorization", "Bearer " + node.logToken() + "x").build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
        }
        assertThat(api.node(done.node()).toString()).doesNotContain(node.logToken());
    }

    @Test
    void aCancelledJobsProcessGroupIsGoneWithinTheGracePeriodEvenIfItIgnoresSigterm() throws Exception {
        String id = api.submit(lora("lora-cancel", Map.of("FAKE_STEPS", "100000", "FAKE_STEP_SECONDS", "0.2", "FAKE_IGNORE_TERM", "1")));
        Task running = awaitStatus(id, TaskStatus.RUNNING);
        Path pidFile = agents.get(running.node()).runDir(id, running.attempt()).resolve("pid");
        long pid = Await.until("the trainer's pid file", Duration.ofSeconds(20), () -> read(pidFile), this::logs);
        assertThat(groupAlive(pid)).isTrue();

        Instant cancelled = Instant.now();
        assertThat(api.cancel(id).status()).isEqualTo(TaskStatus.CANCELLED);
        Await.until("the trainer's process group gone", GRACE.plusSeconds(5),
                () -> groupAlive(pid) ? Optional.empty() : Optional.of(true), this::logs);
        assertThat(AgentProcess.since(cancelled)).isLessThan(GRACE.plusSeconds(3));
        assertThat(api.job(id).status()).isEqualTo(TaskStatus.CANCELLED);
        Await.until("the GPU freed", Duration.ofSeconds(10), () -> kv.get(Keys.assignment(running.node(), id)).isEmpty()
                ? Optional.of(true) : Optional.empty(), this::logs);
    }

    @Test
    void aJobWhoseAgentIsKilledIsRequeuedWithinTheTtlRunsOnTheOtherNodeAndTheDeadAgentsWritesAreFenced() throws Exception {
        String id = api.submit(lora("lora-failover", Map.of("FAKE_STEPS", "12", "FAKE_STEP_SECONDS", "0.5")));
        Task running = awaitStatus(id, TaskStatus.RUNNING);
        String lostNode = running.node();
        Kv nodeKey = kv.get(Keys.node(lostNode)).orElseThrow();
        Kv taskBefore = kv.get(Keys.task(id)).orElseThrow();

        AgentProcess victim = agents.get(lostNode);
        victim.kill9();
        Instant killed = Instant.now();

        Task requeued = Await.until("the job requeued", Duration.ofSeconds(TTL_SECONDS + 10),
                () -> Optional.of(api.job(id)).filter(t -> t.attempt() >= 1), this::logs);
        Transition back = requeued.timeline().stream().filter(t -> t.to() == TaskStatus.PENDING && t.attempt() == 1).findFirst()
                .orElseThrow();
        assertThat(Duration.between(killed, back.at())).as("lost → PENDING").isLessThan(Duration.ofSeconds(TTL_SECONDS + 2));

        Task done = awaitTerminal(id);
        assertThat(done.status()).as(done.reason() + logs()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.attempt()).isEqualTo(1);
        assertThat(done.node()).isNotEqualTo(lostNode);

        // The dead agent, back with what it knew: its lease, attempt 0, the task as it last read it.
        Fence staleFence = new Fence(lostNode, nodeKey.lease());
        TaskStore store = new TaskStore(kv);
        assertThat(store.update(id, 0, staleFence, t -> Lifecycle.progress(t, new Progress(99L, 12L, 1.0, 0.1, 0L, Instant.now()),
                Instant.now()))).isEqualTo(TaskStore.Outcome.FENCED);
        Task staleFinish = Lifecycle.finish(Json.read(taskBefore.value(), Task.class), 1, "stale", Instant.now());
        assertThat(kv.txn().ifModRevision(Keys.task(id), taskBefore.modRevision()).ifLease(Keys.node(lostNode), nodeKey.lease())
                .put(Keys.task(id), Json.write(staleFinish)).commit().succeeded()).isFalse();
        assertThat(api.job(id)).isEqualTo(done);
        victim.killTaskProcesses();
    }

    @Test
    void anAgentRestartedOnItsWorkDirKillsWhatItsPredecessorLeftRunningAndHandsTheTaskBack() throws Exception {
        String id = api.submit(lora("lora-restart", Map.of("FAKE_STEPS", "100000", "FAKE_STEP_SECONDS", "0.2")));
        Task running = awaitStatus(id, TaskStatus.RUNNING);
        AgentProcess agent = agents.get(running.node());
        long pid = Await.until("the trainer's pid file", Duration.ofSeconds(20),
                () -> read(agent.runDir(id, running.attempt()).resolve("pid")), this::logs);

        agent.kill9();
        assertThat(groupAlive(pid)).as("a trainer outlives its agent").isTrue();
        agent.launch();
        Await.until("the orphaned trainer killed", Duration.ofSeconds(30), () -> groupAlive(pid) ? Optional.empty() : Optional.of(true),
                this::logs);
        Task handedBack = Await.until("the task handed back", Duration.ofSeconds(30),
                () -> Optional.of(api.job(id)).filter(t -> t.attempt() >= 1), this::logs);
        assertThat(handedBack.timeline()).anySatisfy(t -> {
            assertThat(t.to()).isEqualTo(TaskStatus.PENDING);
            assertThat(t.reason()).contains("restarted");
        });
        api.cancel(id);
    }

    @Test
    void anAgentCutOffFromTheClusterStopsItsTaskItselfAndSaysSoWhenItIsBack() throws Exception {
        String id = api.submit(lora("lora-fence", Map.of("FAKE_STEPS", "100000", "FAKE_STEP_SECONDS", "0.2")));
        Task running = awaitStatus(id, TaskStatus.RUNNING);
        long pid = Await.until("the trainer's pid file", Duration.ofSeconds(20),
                () -> read(agents.get(running.node()).runDir(id, running.attempt()).resolve("pid")), this::logs);

        var server = cluster.members().get(0);
        cluster.pause(server); // no answer to any renewal: the agent cannot know whether its lease still lives
        try {
            Await.until("the agent stopping its task on its own", Duration.ofSeconds(TTL_SECONDS + 8),
                    () -> groupAlive(pid) ? Optional.empty() : Optional.of(true), this::logs);
        } finally {
            cluster.resume(server);
        }
        String notice = Await.until("the node registered again, with a notice", Duration.ofSeconds(30),
                () -> Optional.of(api.node(running.node()).path("notice").asText("")).filter(n -> n.contains("lease lost")), this::logs);
        assertThat(notice).contains(id);
        Task handedBack = Await.until("the task handed back", Duration.ofSeconds(30),
                () -> Optional.of(api.job(id)).filter(t -> t.attempt() >= 1), this::logs);
        assertThat(handedBack.timeline()).anySatisfy(t -> assertThat(t.to()).isEqualTo(TaskStatus.PENDING));
        api.cancel(id);
    }

    private static Map<String, Object> lora(String name, Map<String, String> env) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", name);
        spec.put("model", "Qwen/Qwen2.5-0.5B-Instruct");
        spec.put("datasets", List.of("AI-ModelScope/alpaca-gpt4-data-en#100"));
        spec.put("trainType", "lora");
        spec.put("resources", Map.of("gpus", 1, "gpuModel", "H100"));
        spec.put("maxRetries", 2);
        spec.put("env", env);
        return spec;
    }

    private Task awaitStatus(String id, TaskStatus status) {
        return Await.until(id + " " + status, JOB_DEADLINE, () -> {
            Task task = api.job(id);
            if (task.status().isTerminal() && task.status() != status) {
                throw new Await.Abort(id + " ended " + task.status() + ": " + task.reason());
            }
            return Optional.of(task).filter(t -> t.status() == status);
        }, this::logs);
    }

    private Task awaitTerminal(String id) {
        return Await.until(id + " finished", JOB_DEADLINE, () -> Optional.of(api.job(id)).filter(t -> t.status().isTerminal()), this::logs);
    }

    private static String gpuIndex(Task task) {
        String gpu = task.gpus().get(0);
        return gpu.substring(gpu.lastIndexOf('-') + 1); // GPU-SIMULATED-<node>-<index>
    }

    private static Optional<Long> read(Path pidFile) {
        try {
            return Files.exists(pidFile) ? Optional.of(Long.parseLong(Files.readString(pidFile).strip())) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether any process of the group led by {@code pid} is left. */
    private static boolean groupAlive(long pid) {
        try {
            return new ProcessBuilder("kill", "-0", "--", "-" + pid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String logs() {
        StringBuilder text = new StringBuilder(cluster.logTails(30));
        agents.values().forEach(a -> text.append(a.logTail()));
        return text.toString();
    }
}
