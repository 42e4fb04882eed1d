package dev.gantry.it.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.NodeState;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.MoveLeaderRequest;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;

/**
 * The scheduler in three real {@code gantry server} processes (elected as in production), with simulated nodes.
 * Each test asks for its own GPU model, so that the tests' tasks and nodes never meet. The leader-kill test runs
 * last: it leaves a member dead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SchedulerIT {
    /** The scheduler's election TTL (Scheduler.Options.DEFAULT_ELECTION_TTL_SECONDS). */
    private static final Duration ELECTION_TTL = Duration.ofSeconds(5);
    private static final Duration SLACK = Duration.ofSeconds(2);
    private static final long NODE_TTL_SECONDS = 3;

    private Cluster cluster;
    private KvClient client;
    private final JobsApi api = new JobsApi();

    @BeforeAll
    void start() {
        cluster = Cluster.start(Implementation.GANTRY, 3, List.of("--scheduler=on"));
        client = KvClient.connect(cluster.endpoints());
        Await.until("a scheduler elected", Duration.ofSeconds(30), () -> schedulerLeader(), () -> cluster.logTails(40));
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private Optional<String> schedulerLeader() {
        return client.list(Keys.SCHEDULER_ELECTION + "/").kvs().stream()
                .min(Comparator.comparingLong(Kv::createRevision)).map(Kv::value);
    }

    private Task task(String id) {
        return Json.read(client.get(Keys.task(id)).orElseThrow().value(), Task.class);
    }

    private String anyHttpUrl() {
        return cluster.members().stream().filter(Member::isRunning).findFirst().orElseThrow().httpUrl();
    }

    @Test
    @Order(1)
    void placesAThousandJobsOnceEachInPriorityOrderWithoutOvercommitting() throws Exception {
        int nodeCount = 10;
        int gpusPerNode = 4;
        int jobs = 1000;
        long from = client.put("/test/marker", "1") + 1;
        try (TaskHistory history = new TaskHistory(client, from);
                SimulatedAgents agents = new SimulatedAgents(client, from)) {
            // Submit everything first, while no node can run it, so the whole queue is there when nodes come.
            Random random = new Random(42);
            List<Integer> priorities = random.ints(jobs, 0, 100).boxed().toList();
            List<String> urls = cluster.members().stream().map(Member::httpUrl).toList();
            List<String> ids;
            try (ExecutorService submitters = Executors.newFixedThreadPool(8)) {
                List<Future<String>> futures = new ArrayList<>();
                for (int i = 0; i < jobs; i++) {
                    int n = i;
                    futures.add(submitters.submit(() -> api.submit(urls.get(n % urls.size()), "bulk", 1, "H100", priorities.get(n), 3)));
                }
                ids = new ArrayList<>();
                for (Future<String> f : futures) {
                    ids.add(f.get());
                }
            }
            assertThat(new HashSet<>(ids)).hasSize(jobs);
            String sample = ids.getFirst();
            Await.until("the pending reason of " + sample, Duration.ofSeconds(30),
                    () -> Optional.of(task(sample).reason()).filter(r -> r.equals("no ready nodes")),
                    () -> task(sample).reason());

            List<SimulatedNode> nodes = new ArrayList<>();
            try {
                for (int i = 0; i < nodeCount; i++) {
                    SimulatedNode node = SimulatedNode.register(client, "h100-" + i, gpusPerNode, "NVIDIA H100 80GB HBM3", 80, 10);
                    history.addNode(node);
                    agents.add(node);
                    nodes.add(node);
                }
                history.awaitSucceeded(jobs, Duration.ofSeconds(150), agents);
            } finally {
                nodes.forEach(SimulatedNode::close);
            }

            history.assertPlacedOnceEach(jobs);
            List<TaskHistory.Placement> placements = history.placements().stream()
                    .sorted(Comparator.comparingLong(TaskHistory.Placement::revision)).toList();
            assertThat(placements).allMatch(p -> p.attempt() == 0);
            assertThat(history.tasks().values()).allSatisfy(t -> assertThat(t.timeline())
                    .filteredOn(tr -> tr.to() == TaskStatus.SCHEDULED).hasSize(1));

            // Priority order: a pass places at most the free GPUs (≤ the cluster's total) and claims them concurrently,
            // so order may vary within that window; any two placements further apart must follow the queue order.
            Map<String, Task> tasks = history.tasks();
            List<String> queue = tasks.values().stream().sorted(Comparator.comparingInt((Task t) -> -t.spec().priorityOrDefault())
                    .thenComparing(Task::createdAt).thenComparing(Task::id)).map(Task::id).toList();
            Map<String, Integer> rank = new HashMap<>();
            for (int i = 0; i < queue.size(); i++) {
                rank.put(queue.get(i), i);
            }
            int window = nodeCount * gpusPerNode;
            int highestSoFar = -1;
            List<String> inversions = new ArrayList<>();
            for (int j = window; j < placements.size(); j++) {
                highestSoFar = Math.max(highestSoFar, rank.get(placements.get(j - window).taskId()));
                int r = rank.get(placements.get(j).taskId());
                if (highestSoFar > r) {
                    inversions.add(placements.get(j).taskId() + " (priority " + placements.get(j).priority() + ", rank " + r
                            + ") placed after a task of rank " + highestSoFar);
                }
            }
            assertThat(inversions).isEmpty();
        }
    }

    @Test
    @Order(2)
    void saysWhyAJobIsPendingAndPlacesItWhenItFits() {
        try (SimulatedNode node = SimulatedNode.register(client, "a100-0", 4, "NVIDIA A100-SXM4-80GB", 80, 10)) {
            String big = api.submit(anyHttpUrl(), "big", 16, "A100", 90, 3);
            Await.until("the big job's reason", Duration.ofSeconds(20), () -> Optional.ofNullable(task(big).reason())
                    .filter(r -> r.equals("needs 16 GPUs (A100) on one node; no ready node has that many (the largest has 4)")),
                    () -> task(big).reason());

            client.put(Keys.nodeState(node.id), Json.write(new NodeState(NodeState.State.CORDONED, "test", Instant.now())));
            String small = api.submit(anyHttpUrl(), "small", 2, "A100", 50, 3);
            Await.until("the small job's reason", Duration.ofSeconds(20), () -> Optional.ofNullable(task(small).reason())
                    .filter(r -> r.equals("needs 2 GPUs (A100) on one node; node a100-0 is cordoned")), () -> task(small).reason());
            assertThat(task(small).status()).isEqualTo(TaskStatus.PENDING);

            client.delete(Keys.nodeState(node.id));
            Await.until("the small job placed once uncordoned", Duration.ofSeconds(20),
                    () -> Optional.of(task(small)).filter(t -> t.status() == TaskStatus.SCHEDULED), () -> task(small).toString());
            assertThat(task(small).node()).isEqualTo("a100-0");
            assertThat(task(small).gpus()).hasSize(2);
            assertThat(task(big).status()).isEqualTo(TaskStatus.PENDING);
        }
    }

    @Test
    @Order(3)
    void aLostNodesTasksArePendingAgainThenPlacedElsewhereAndFailPastMaxRetries() {
        Duration bound = Duration.ofSeconds(NODE_TTL_SECONDS).plus(SLACK);
        SimulatedNode first = SimulatedNode.register(client, "l40s-0", 1, "NVIDIA L40S", 48, NODE_TTL_SECONDS);
        String job = api.submit(anyHttpUrl(), "retry", 1, "L40S", 50, 1);
        Await.until("the job placed on l40s-0", Duration.ofSeconds(20),
                () -> Optional.of(task(job)).filter(t -> t.status() == TaskStatus.SCHEDULED), () -> task(job).toString());
        assertThat(client.get(Keys.assignment("l40s-0", job))).isPresent();
        try (SimulatedNode second = SimulatedNode.register(client, "l40s-1", 1, "NVIDIA L40S", 48, NODE_TTL_SECONDS)) {
            long lost = System.nanoTime();
            first.stopKeepAlive();
            Await.until("the job requeued (attempt 1) within the node TTL + 2 s", bound,
                    () -> Optional.of(task(job)).filter(t -> t.attempt() == 1), () -> task(job).toString());
            long requeuedMs = (System.nanoTime() - lost) / 1_000_000;
            Task requeued = task(job);
            assertThat(requeued.timeline()).anySatisfy(tr -> {
                assertThat(tr.to()).isEqualTo(TaskStatus.PENDING);
                assertThat(tr.reason()).isEqualTo("node l40s-0 lost");
            });
            Await.until("the job placed on l40s-1", Duration.ofSeconds(20),
                    () -> Optional.of(task(job)).filter(t -> t.status() == TaskStatus.SCHEDULED && "l40s-1".equals(t.node())),
                    () -> task(job).toString());
            assertThat(client.get(Keys.assignment("l40s-0", job))).isEmpty();
            assertThat(client.get(Keys.assignment("l40s-1", job))).isPresent();
            System.out.printf("requeued %d ms after the node's keep-alive stopped (TTL %d s)%n", requeuedMs, NODE_TTL_SECONDS);

            second.stopKeepAlive();
            Await.until("the job failed past maxRetries within the node TTL + 2 s", bound,
                    () -> Optional.of(task(job)).filter(t -> t.status() == TaskStatus.FAILED), () -> task(job).toString());
            assertThat(task(job).reason()).isEqualTo("node l40s-1 lost; lost 2 times, maxRetries 1 reached");
            assertThat(client.get(Keys.assignment("l40s-1", job))).isEmpty();
        } finally {
            first.close();
        }
    }

    @Test
    @Order(4)
    void anotherReplicaSchedulesWithinTheElectionTtlWhenTheLeaderIsKilled() {
        String leaderName = schedulerLeader().orElseThrow();
        Member leader = cluster.member(leaderName);
        // Kill only the scheduler: if the member also led Raft, the new Raft leader would extend every lease by
        // its TTL plus an election timeout (etcd's rule), which is a store failover, not the scheduler's.
        Member raftLeader = cluster.leader();
        if (raftLeader.equals(leader)) {
            Member target = cluster.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
            MaintenanceGrpc.newBlockingStub(cluster.channel(leader)).withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
                    .moveLeader(MoveLeaderRequest.newBuilder().setTargetID(target.id()).build());
            Await.until("Raft leadership moved off " + leaderName, Duration.ofSeconds(20),
                    () -> Optional.of(cluster.leader()).filter(m -> !m.equals(leader)), () -> "");
        }
        try (SimulatedNode node = SimulatedNode.register(client, "t4-0", 1, "Tesla T4", 16, 10)) {
            Member survivor = cluster.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
            long killed = System.nanoTime();
            cluster.kill9(leader);
            String job = api.submit(survivor.httpUrl(), "after-kill", 1, "T4", 50, 3);
            Await.until("the job scheduled by another replica within the election TTL + 2 s", ELECTION_TTL.plus(SLACK),
                    () -> Optional.of(task(job)).filter(t -> t.status() == TaskStatus.SCHEDULED), () -> task(job).toString());
            long ms = (System.nanoTime() - killed) / 1_000_000;
            assertThat(schedulerLeader()).isPresent().get().isNotEqualTo(leaderName);
            assertThat(task(job).node()).isEqualTo("t4-0");
            System.out.printf("scheduled %d ms after the leader (%s) was killed%n", ms, leaderName);
        }
    }
}
