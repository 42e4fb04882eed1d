package dev.gantry.it.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.gantry.agent.node.Fence;
import dev.gantry.agent.node.Registration;
import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.job.Keys;
import dev.gantry.job.Node;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Watch;
import dev.gantry.kv.client.WatchEvent;
import dev.gantry.kv.client.WatchListener;

/**
 * The agents' scale benchmark (not a test; skipped unless {@code -Dbench=true}): 1,000 agents in this process, each
 * with its own lease (TTL 10 s), its own keep-alive stream and its own watch on its assignments — the agent's
 * {@link Registration}, spread over 10 client connections as agents on 1,000 hosts spread over the members —
 * against a 3-member cluster for 5 minutes ({@code -Dbench.minutes}). A node key deleted while its agent lives
 * (its lease expired) is a node marked lost: there must be none. Reports the servers' CPU and memory.
 * Run: see docs/benchmarks.md, "Agents at scale".
 */
class AgentScaleBench {
    private static final int AGENTS = Integer.getInteger("bench.agents", 1000);
    private static final int CONNECTIONS = 10;
    private static final long TTL = 10;
    private static final Duration RUN = Duration.ofMinutes(Integer.getInteger("bench.minutes", 5));

    @Test
    void bench() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "the agents' scale benchmark runs with -Dbench=true");
        try (Cluster cluster = Cluster.start(Implementation.GANTRY, 3, List.of("--scheduler=on"))) {
            List<KvClient> clients = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                // each connection starts at a different member, as agents configured with all endpoints spread out
                List<String> endpoints = new ArrayList<>(List.of(cluster.endpoints().split(",")));
                java.util.Collections.rotate(endpoints, i);
                clients.add(KvClient.connect(endpoints));
            }
            Map<String, Instant> lost = new ConcurrentHashMap<>();
            AtomicInteger clientSideLosses = new AtomicInteger();
            KvClient observer = KvClient.connect(cluster.endpoints());
            long from = observer.list(Keys.NODES).revision() + 1;
            Watch deletions = observer.watch(Keys.NODES, from, new WatchListener() {
                @Override
                public void onEvents(List<WatchEvent> events) {
                    events.stream().filter(e -> e.type() == WatchEvent.Type.DELETE).forEach(e -> lost.put(e.key(), Instant.now()));
                }

                @Override
                public void onCompacted(long compactRevision) {
                    throw new IllegalStateException("compacted");
                }
            });
            ScheduledExecutorService executor = Executors.newScheduledThreadPool(4);
            List<Registration> registrations = new ArrayList<>();
            List<Watch> watches = new ArrayList<>();
            Instant started = Instant.now();
            for (int i = 0; i < AGENTS; i++) {
                String id = String.format("scale-%04d", i);
                KvClient client = clients.get(i % CONNECTIONS);
                Node node = new Node(id, id + ".bench", List.of(), true, 8, 65536L, Map.of(), "bench", started, started);
                Registration registration = new Registration(client, id, TTL, () -> node, new Registration.Listener() {
                    @Override
                    public void registered(Fence fence) {
                    }

                    @Override
                    public void lost(Fence fence, String why) {
                        clientSideLosses.incrementAndGet();
                    }
                }, executor);
                registration.start();
                registrations.add(registration);
                watches.add(client.watch(Keys.assignments(id), 0, new WatchListener() {
                    @Override
                    public void onEvents(List<WatchEvent> events) {
                    }

                    @Override
                    public void onCompacted(long compactRevision) {
                    }
                }));
            }
            Await.until(AGENTS + " nodes registered", Duration.ofMinutes(3),
                    () -> observer.list(Keys.NODES).kvs().size() >= AGENTS ? java.util.Optional.of(true) : java.util.Optional.empty(),
                    () -> cluster.logTails(20));
            Duration registeredIn = Duration.between(started, Instant.now());
            Map<Member, long[]> cpuBefore = cpu(cluster);
            long t0 = System.nanoTime();
            long peakRssKiB = 0;
            while (System.nanoTime() - t0 < RUN.toNanos()) {
                Thread.sleep(5000); // sampling the servers' memory
                for (Member member : cluster.members()) {
                    peakRssKiB = Math.max(peakRssKiB, rssKiB(member));
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<Member, long[]> cpuAfter = cpu(cluster);
            int alive = observer.list(Keys.NODES).kvs().size();
            StringBuilder report = new StringBuilder();
            report.append(String.format("agents: %d over %d connections, lease TTL %d s; registered in %.1f s; ran %.0f s%n", AGENTS,
                    CONNECTIONS, TTL, registeredIn.toMillis() / 1000.0, seconds));
            report.append(String.format("nodes marked lost while alive: %d; client-side lease losses: %d; node keys at the end: %d%n",
                    lost.size(), clientSideLosses.get(), alive));
            long ticks = 100; // USER_HZ
            for (Member member : cluster.members()) {
                long[] a = cpuBefore.get(member);
                long[] b = cpuAfter.get(member);
                double cpuPercent = 100.0 * ((b[0] - a[0]) / (double) ticks) / seconds;
                report.append(String.format("server %s: CPU %.1f%% of one core, RSS %d MiB%n", member.name(), cpuPercent, rssKiB(member) / 1024));
            }
            report.append(String.format("peak server RSS: %d MiB%n", peakRssKiB / 1024));
            System.out.print(report);
            Files.writeString(Path.of("target", "agent-scale-bench.txt"), report);
            deletions.close(); // before the agents give their leases back, which deletes their keys
            Map<String, Instant> lostWhileAlive = Map.copyOf(lost);
            int lossesWhileAlive = clientSideLosses.get();
            watches.forEach(Watch::close);
            registrations.forEach(Registration::close);
            executor.shutdownNow();
            clients.forEach(KvClient::close);
            observer.close();
            assertThat(lostWhileAlive).as("nodes marked lost while their agents lived").isEmpty();
            assertThat(lossesWhileAlive).isZero();
        }
    }

    /** utime + stime of each member's JVM, in clock ticks. */
    private static Map<Member, long[]> cpu(Cluster cluster) throws IOException {
        Map<Member, long[]> cpu = new ConcurrentHashMap<>();
        for (Member member : cluster.members()) {
            long pid = member.process().orElseThrow().pid();
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            cpu.put(member, new long[] {Long.parseLong(fields[11]) + Long.parseLong(fields[12])});
        }
        return cpu;
    }

    private static long rssKiB(Member member) throws IOException {
        long pid = member.process().orElseThrow().pid();
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return 0;
    }
}
