package dev.gantry.it.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.client.KvClient;

/**
 * Every server schedules at once ({@code --scheduler-election=off}): nothing but the claim txn's compares (the
 * task's mod_revision, the node's lease, no assignment on the node since the decision's revision) stands between
 * three schedulers handing out the same GPUs. They must never double-assign or over-commit.
 */
class RacingSchedulersIT {
    @Test
    void racingSchedulersNeverDoubleAssignOrOvercommit() throws Exception {
        int jobs = 300;
        try (Cluster cluster = Cluster.start(Implementation.GANTRY, 3, List.of("--scheduler-election=off"));
                KvClient client = KvClient.connect(cluster.endpoints())) {
            long from = client.put("/test/marker", "1") + 1;
            JobsApi api = new JobsApi();
            try (TaskHistory history = new TaskHistory(client, from);
                    SimulatedAgents agents = new SimulatedAgents(client, from)) {
                List<SimulatedNode> nodes = new ArrayList<>();
                try {
                    for (int i = 0; i < 5; i++) {
                        SimulatedNode node = SimulatedNode.register(client, "race-" + i, 4, "NVIDIA H100 80GB HBM3", 80, 10);
                        history.addNode(node);
                        agents.add(node);
                        nodes.add(node);
                    }
                    Random random = new Random(7);
                    List<String> urls = cluster.members().stream().map(Member::httpUrl).toList();
                    try (ExecutorService submitters = Executors.newFixedThreadPool(8)) {
                        List<Future<String>> futures = new ArrayList<>();
                        for (int i = 0; i < jobs; i++) {
                            int gpus = 1 + random.nextInt(3);
                            int priority = random.nextInt(100);
                            String url = urls.get(i % urls.size());
                            futures.add(submitters.submit(() -> api.submit(url, "race", gpus, null, priority, 3)));
                        }
                        for (Future<String> f : futures) {
                            f.get();
                        }
                    }
                    history.awaitSucceeded(jobs, Duration.ofSeconds(120), agents);
                } finally {
                    nodes.forEach(SimulatedNode::close);
                }
                history.assertPlacedOnceEach(jobs);
                // The race happened: placements came from more than one scheduler, and some claims lost it.
                long conflicts = 0;
                int placing = 0;
                for (Member member : cluster.members()) {
                    String metrics = get(member.httpUrl() + "/metrics");
                    conflicts += (long) metric(metrics, "gantry_scheduler_claim_conflicts_total");
                    placing += metric(metrics, "gantry_scheduler_placements_total") > 0 ? 1 : 0;
                }
                System.out.printf("racing schedulers: %d of 3 placed tasks, %d claim conflicts%n", placing, conflicts);
                assertThat(placing).isGreaterThan(1);
                assertThat(conflicts).isPositive();
            }
        }
    }

    private static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double metric(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1).trim())).orElse(0.0);
    }
}
