package dev.gantry.reliability.jobs.workload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.reliability.check.Anomaly;
import dev.gantry.reliability.workload.Waits;
import dev.gantry.reliability.jobs.check.OutcomeChecker;
import dev.gantry.reliability.jobs.check.ProcessChecker;
import dev.gantry.reliability.jobs.check.TaskChecker;
import dev.gantry.reliability.jobs.history.Cancel;
import dev.gantry.reliability.jobs.history.JobKind;
import dev.gantry.reliability.jobs.history.KeyVersion;
import dev.gantry.reliability.jobs.history.KvLog;
import dev.gantry.reliability.jobs.history.ProcessLog;
import dev.gantry.reliability.jobs.history.Submission;
import dev.gantry.reliability.workload.Fault;
import dev.gantry.reliability.workload.Firewall;

/**
 * One job run on a started cluster whose servers schedule: real agents register, users submit and cancel jobs
 * for {@code traffic} while the {@link JobNemesis} injects faults into servers and agents; then the faults stop
 * (each is healed), the queue drains, and the checkers judge the key history, the processes seen on the agent
 * hosts and where every job ended.
 */
public final class JobRun {
    public static final String AGENTS_STAY_UP = "agents stay up";
    private static final Duration REGISTER = Duration.ofSeconds(90);
    private static final Duration SWEEP = Duration.ofMillis(200);
    /** A killed agent's successor kills its processes before registering; a sweep may lag the registration's watch event. */
    private static final Duration REGISTRATION_SLACK = Duration.ofSeconds(1);

    /**
     * How many agents and GPUs, how long, which faults.
     *
     * @param reaction how long past its stop grace a live agent may take to stop a process whose assignment ended
     *                 (its watch or lease-loss callback, the signals, the sweep): the fencing window is the sum
     */
    public record Settings(Duration traffic, int agents, String gpusPerAgent, Duration leaseTtl, Duration stopGrace,
            Duration reaction, Duration faultInterval, Duration drain) {
        public static Settings ci(Duration traffic) {
            return new Settings(traffic, 3, "2xH100-80GB", Duration.ofSeconds(4), Duration.ofSeconds(2),
                    Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(90));
        }
    }

    private final String run = Long.toHexString(System.nanoTime() & 0xfffff);
    private final Cluster cluster;
    private final Firewall firewall;
    private final Path dir;
    private final Settings settings;
    private final List<AgentHost> agents = new ArrayList<>();

    /** {@code firewall}: null where partitions cannot run (then neither servers nor agents are partitioned). */
    public JobRun(Cluster cluster, Firewall firewall, Path dir, Settings settings) {
        this.cluster = cluster;
        this.firewall = firewall;
        this.dir = dir;
        this.settings = settings;
    }

    public JobReport execute() {
        long origin = System.nanoTime();
        try (KvClient kv = KvClient.connect(cluster.endpoints()); KvLog log = new KvLog(kv, "/");
                JobsApi api = new JobsApi(cluster, Duration.ofSeconds(8))) {
            for (int i = 1; i <= settings.agents(); i++) {
                agents.add(AgentHost.start("node-" + i, dir.resolve("node-" + i), cluster.endpoints(),
                        settings.gpusPerAgent(), settings.leaseTtl(), settings.stopGrace(), firewall != null ? 62000 + i : 0));
            }
            Await.until("every agent registered", REGISTER, () -> agents.stream()
                    .allMatch(a -> kv.get(Keys.node(a.node())).isPresent()) ? Optional.of(true) : Optional.empty(), this::logTails);

            ProcessLog processes = new ProcessLog(agents.stream().collect(Collectors.toMap(AgentHost::node, AgentHost::workDir)), SWEEP);
            Thread sampler = Thread.ofPlatform().name("process-sampler").start(processes);
            Submitter submitter = new Submitter(api, run);
            submitter.submit(JobKind.UNPLACEABLE, 3, 5); // more GPUs than any node has: must stay pending
            JobNemesis nemesis = new JobNemesis(cluster, kv, serverFaults(), agents, firewall, settings.faultInterval());
            Thread nemesisThread = Thread.ofPlatform().name("job-nemesis").start(nemesis);
            Thread submitterThread = Thread.ofPlatform().name("submitter").start(submitter);
            long started = System.nanoTime();
            try {
                Waits.quietly(settings.traffic());
            } finally {
                nemesis.stop();
                Waits.join(nemesisThread);
                submitter.stop();
                Waits.join(submitterThread);
            }
            long trafficSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            nemesis.failure().ifPresent(t -> {
                throw new IllegalStateException("the nemesis failed to inject or heal a fault", t);
            });
            List<Submission> submissions = submitter.submissions();

            // Healed: the nemesis started every agent it killed again; one that is down exited by itself.
            List<Anomaly> anomalies = new ArrayList<>();
            for (AgentHost agent : agents) {
                if (!agent.isRunning()) {
                    anomalies.add(new Anomaly(AGENTS_STAY_UP, "the agent of " + agent.node() + " exited by itself"
                            + agent.logTail(30)));
                    agent.launch();
                }
            }
            // Let the queue drain and the processes end.
            waitUntil(settings.drain(), () -> drained(kv, submissions));
            waitUntil(settings.stopGrace().plus(settings.reaction()).multipliedBy(2), () -> processes.sweep().isEmpty());
            long end = kv.put("/jobrel/" + run + "/end", "end");
            log.awaitRevision(end, Duration.ofSeconds(60));
            Map<String, Task> finalTasks = tasks(kv);
            processes.stop();
            Waits.join(sampler);
            processes.sweep();

            List<KeyVersion> history = log.versions();
            anomalies.addAll(new TaskChecker().check(history));
            ProcessChecker processChecker = new ProcessChecker(settings.stopGrace().plus(settings.reaction()),
                    REGISTRATION_SLACK, origin);
            anomalies.addAll(processChecker.check(processes.runs(), processes.sweepNanos(), history, nemesis.outages()));
            List<Cancel> cancels = submitter.cancels();
            anomalies.addAll(new OutcomeChecker().check(submissions, cancels, finalTasks, history));

            Map<String, Long> jobs = submissions.stream().filter(Submission::acknowledged)
                    .map(s -> Optional.ofNullable(finalTasks.get(s.id())).map(t -> t.status().name()).orElse("MISSING"))
                    .collect(Collectors.groupingBy(s -> s, TreeMap::new, Collectors.counting()));
            return new JobReport(cluster.members().size(), agents.size(), trafficSeconds, jobs,
                    submissions.stream().filter(s -> !s.acknowledged()).count(),
                    cancels.stream().collect(Collectors.groupingBy(c -> c.outcome().name(), TreeMap::new, Collectors.counting())),
                    history.stream().filter(v -> v.key().startsWith(Keys.TASKS)).count(), requeues(history), processes.runs().size(),
                    processChecker.maxOverlapMillis(), processChecker.maxOutlivedMillis(), nemesis.injected(), anomalies);
        } finally {
            agents.forEach(AgentHost::close);
        }
    }

    /** The tails of every agent's log and every member's, for failure messages. */
    public String logTails() {
        StringBuilder text = new StringBuilder();
        agents.forEach(agent -> text.append(agent.logTail(40)));
        return text.append('\n').append(cluster.logTails(30)).toString();
    }

    /**
     * Server faults: kill and pause always, partitions where the firewall works; no member replacement (the agents
     * are given the members' endpoints once, as an operator would).
     */
    private List<Fault> serverFaults() {
        List<Fault> faults = new ArrayList<>(List.of(Fault.KILL, Fault.PAUSE));
        if (firewall != null) {
            faults.addAll(List.of(Fault.PARTITION, Fault.ONE_WAY_PARTITION));
        }
        return faults;
    }

    /**
     * Whether every job that some node can run has ended: those the API acknowledged, and those of submits with an
     * unknown outcome that were created after all (found by their unique names).
     */
    private static boolean drained(KvClient kv, List<Submission> submissions) {
        Map<String, JobKind> kinds = submissions.stream().collect(Collectors.toMap(Submission::name, Submission::kind));
        Map<String, Task> tasks = tasks(kv);
        return submissions.stream().filter(s -> s.acknowledged()).allMatch(s -> tasks.containsKey(s.id()))
                && tasks.values().stream().allMatch(t -> t.status().isTerminal()
                        || !kinds.getOrDefault(t.spec().name(), JobKind.SUCCEEDS).placeable());
    }

    /** How often a SCHEDULED or RUNNING task went back to PENDING in the history. */
    private static long requeues(List<KeyVersion> history) {
        Map<String, TaskStatus> last = new HashMap<>();
        long requeues = 0;
        for (KeyVersion version : history) {
            if (version.key().startsWith(Keys.TASKS) && !version.deleted()) {
                TaskStatus status = Json.read(version.value(), Task.class).status();
                TaskStatus before = last.put(version.key(), status);
                if (status == TaskStatus.PENDING && (before == TaskStatus.SCHEDULED || before == TaskStatus.RUNNING)) {
                    requeues++;
                }
            }
        }
        return requeues;
    }

    /** Every task now, read linearizably at one revision. */
    private static Map<String, Task> tasks(KvClient kv) {
        Map<String, Task> tasks = new LinkedHashMap<>();
        for (Kv entry : kv.list(Keys.TASKS).kvs()) {
            Task task = Json.read(entry.value(), Task.class);
            tasks.put(task.id(), task);
        }
        return tasks;
    }

    /** Polls {@code condition} until it holds or {@code within} has passed; whether it held. */
    private static boolean waitUntil(Duration within, BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Waits.quietly(Await.POLL_INTERVAL.multipliedBy(5));
        }
        return condition.getAsBoolean();
    }

    /** Deletes a directory tree (the agents' work dirs and logs). */
    public static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
