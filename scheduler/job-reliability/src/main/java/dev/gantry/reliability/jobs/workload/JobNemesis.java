package dev.gantry.reliability.jobs.workload;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.job.Keys;
import dev.gantry.kv.client.KvClient;
import dev.gantry.reliability.jobs.history.Outage;
import dev.gantry.reliability.workload.Fault;
import dev.gantry.reliability.workload.Firewall;
import dev.gantry.reliability.workload.Nemesis;
import dev.gantry.reliability.workload.Waits;

/**
 * One fault at a time, every {@code interval} (± half), each healed before the next: half of them to the servers
 * (kv-reliability's {@link Nemesis}: kill, pause, partitions; the Raft leader two times in three), half to the
 * agents: a SIGKILL of an agent's JVM, down 1–4 s and started again on its work dir, or an agent cut off from
 * every member for 5–8 s and at least until its lease expired (so it must fence itself). Every kind once first.
 */
final class JobNemesis implements Runnable {
    static final String AGENT_KILL = "agent_kill";
    static final String AGENT_PARTITION = "agent_partition";

    private final Nemesis servers;
    private final List<Fault> serverFaults;
    private final List<AgentHost> agents;
    private final Cluster cluster;
    private final KvClient kv;
    private final Firewall firewall;
    private final Duration interval;
    private final Map<String, Integer> injected = new LinkedHashMap<>();
    private final ConcurrentLinkedQueue<Outage> outages = new ConcurrentLinkedQueue<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile Throwable failure;

    /** {@code firewall} is null when partitions cannot run here; then there are none, of servers or of agents. */
    JobNemesis(Cluster cluster, KvClient kv, List<Fault> serverFaults, List<AgentHost> agents, Firewall firewall,
            Duration interval) {
        this.cluster = cluster;
        this.kv = kv;
        this.serverFaults = List.copyOf(serverFaults);
        this.servers = new Nemesis(cluster, interval, Set.copyOf(serverFaults), firewall);
        this.agents = List.copyOf(agents);
        this.firewall = firewall;
        this.interval = interval;
        serverFaults.forEach(fault -> injected.put(fault.name().toLowerCase(), 0));
        injected.put(AGENT_KILL, 0);
        if (firewall != null) {
            injected.put(AGENT_PARTITION, 0);
        }
    }

    @Override
    public void run() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<String> kinds = new ArrayList<>(injected.keySet());
        List<String> firsts = new ArrayList<>(kinds);
        Collections.shuffle(firsts);
        List<String> agentKinds = kinds.stream().filter(k -> k.startsWith("agent")).toList();
        List<String> serverKinds = kinds.stream().filter(k -> !k.startsWith("agent")).toList();
        try {
            for (int i = 0; !stop.await(interval.toMillis() / 2 + random.nextLong(interval.toMillis()), TimeUnit.MILLISECONDS); i++) {
                List<String> side = random.nextBoolean() ? agentKinds : serverKinds;
                String kind = i < firsts.size() ? firsts.get(i) : side.get(random.nextInt(side.size()));
                switch (kind) {
                    case AGENT_KILL -> killAgent(agents.get(random.nextInt(agents.size())));
                    case AGENT_PARTITION -> cutOff(agents.get(random.nextInt(agents.size())));
                    default -> servers.inject(Fault.valueOf(kind.toUpperCase()));
                }
                synchronized (injected) {
                    injected.merge(kind, 1, Integer::sum);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void killAgent(AgentHost agent) {
        long from = System.nanoTime();
        agent.kill9();
        try {
            Waits.hold(1000, 4000);
        } finally {
            agent.launch();
            outages.add(new Outage(agent.node(), Outage.Kind.KILLED, from, System.nanoTime()));
        }
    }

    /**
     * Cuts the agent off from every member for 5–8 s, and at least until its node's key is gone: the fault must
     * take (its lease expires, its tasks are requeued), which also proves the firewall cuts.
     */
    private void cutOff(AgentHost agent) {
        long from = System.nanoTime();
        long until = from + TimeUnit.MILLISECONDS.toNanos(ThreadLocalRandom.current().nextInt(5000, 8000));
        try {
            firewall.drop(agent.groupId(), cluster.members().stream().flatMap(m -> m.ports().stream()).toList());
            Await.until(agent.node() + " cut off, its lease expiring", Duration.ofSeconds(30),
                    () -> kv.get(Keys.node(agent.node())).isEmpty() ? Optional.of(true) : Optional.empty(),
                    () -> agent.logTail(20));
            Waits.holdUntil(until);
        } finally {
            firewall.heal();
            outages.add(new Outage(agent.node(), Outage.Kind.CUT_OFF, from, System.nanoTime()));
        }
    }

    /** Asks the nemesis to stop after its current fault, which it heals. */
    void stop() {
        stop.countDown();
    }

    Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    Map<String, Integer> injected() {
        synchronized (injected) {
            return new LinkedHashMap<>(injected);
        }
    }

    List<Outage> outages() {
        return List.copyOf(outages);
    }
}
