package dev.gantry.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import dev.gantry.agent.gpu.GpuProbe;
import dev.gantry.agent.gpu.NvidiaSmi;
import dev.gantry.agent.gpu.Telemetry;
import dev.gantry.agent.logs.LogServer;
import dev.gantry.agent.node.Fence;
import dev.gantry.agent.node.Registration;
import dev.gantry.agent.runner.Leftovers;
import dev.gantry.agent.task.Assignments;
import dev.gantry.job.Keys;
import dev.gantry.job.Node;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.KvException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The worker agent of one host, wired together: the node's {@link Registration} (lease, keep-alive,
 * {@code /nodes/<id>}), GPU telemetry, the {@link Assignments} it runs, and the {@link LogServer}. When the lease
 * is lost the agent fences itself — stops every task, since the scheduler may be placing them elsewhere — and
 * says so in its node record once it has registered again.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Agent.class.getName());
    public static final String VERSION = "0.1.0";

    private final AgentConfig config;
    private final KvClient client;
    private final GpuProbe probe;
    private final ScheduledExecutorService executor;
    private final Assignments assignments;
    private final LogServer logs;
    private final Registration registration;
    private final String hostname;
    private final String agentUrl;
    private final Instant startedAt = Instant.now();
    private volatile List<Node.Gpu> gpus;
    private volatile String notice;

    private Agent(AgentConfig config) throws IOException {
        this.config = config;
        this.hostname = AgentCommand.hostname();
        this.probe = config.simulateGpus() != null ? GpuProbe.simulated(config.simulateGpus(), config.nodeId()) : GpuProbe.nvidiaSmi();
        this.gpus = readGpus(List.of());
        List<Long> leftovers = Leftovers.find(config.workDir().resolve("tasks"));
        if (!leftovers.isEmpty()) {
            LOG.warning("killing task processes a previous agent left running (process groups " + leftovers + "): their "
                    + "tasks were handed to the scheduler again");
            Leftovers.kill(leftovers);
        }
        this.client = KvClient.connect(config.endpoints(), config.tls(), config.user());
        if (config.user() != null) {
            checkCredential(client, config);
        }
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "agent");
            thread.setDaemon(true);
            return thread;
        });
        this.assignments = new Assignments(client, config.workDir(), () -> gpus, config.stopGrace(), config.progressEvery());
        this.logs = LogServer.start(config.listen(), assignments::dirOf, assignments::isRunning, assignments::secretsOf);
        this.agentUrl = config.advertiseUrl() != null ? config.advertiseUrl() : defaultUrl(config.listen(), hostname, logs.port());
        this.registration = new Registration(client, config.nodeId(), config.leaseTtlSeconds(), this::record,
                new Registration.Listener() {
                    @Override
                    public void registered(Fence fence) {
                        assignments.follow(fence);
                    }

                    @Override
                    public void lost(Fence fence, String why) {
                        List<String> stopped = assignments.stopAll("the agent on " + fence.node()
                                + " stopped it: its lease was lost (" + why + ")");
                        notice = "lease lost at " + Instant.now() + " (" + why + ")"
                                + (stopped.isEmpty() ? "" : "; stopped tasks " + String.join(", ", stopped));
                        LOG.warning("self-fencing: " + notice);
                    }
                }, executor);
    }

    /**
     * A wrong password, or the credential of another node, is an operator's mistake that no retry mends: said at once
     * by reading the node's key as the user. A cluster that does not answer yet is left to the registration's retries.
     */
    private static void checkCredential(KvClient client, AgentConfig config) {
        try {
            client.get(Keys.node(config.nodeId()));
        } catch (KvException e) {
            if (e.code() == Status.Code.UNAVAILABLE || e.code() == Status.Code.DEADLINE_EXCEEDED) {
                return;
            }
            client.close();
            String why = e.getCause() instanceof StatusRuntimeException cause ? cause.getStatus().getDescription() : e.getMessage();
            throw new IllegalStateException(e.code() == Status.Code.PERMISSION_DENIED
                    ? "user " + config.user().name() + " may not read " + Keys.node(config.nodeId()) + " (" + why + "): is it node "
                            + config.nodeId() + "'s credential? 'gantry node credential " + config.nodeId() + "' makes one"
                    : "cannot connect as user " + config.user().name() + " to " + config.endpoints() + ": " + why, e);
        }
    }

    /** Starts the agent; it registers in the background, retrying until the cluster answers. */
    public static Agent start(AgentConfig config) {
        Agent agent;
        try {
            agent = new Agent(config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve logs on " + config.listen() + ": " + e.getMessage(), e);
        }
        agent.registration.start();
        long every = config.telemetryEvery().toMillis();
        agent.executor.scheduleWithFixedDelay(agent::refreshTelemetry, every, every, TimeUnit.MILLISECONDS);
        LOG.info(() -> "agent for node " + config.nodeId() + " started: " + agent.gpus.size() + (agent.probe.simulated()
                ? " simulated" : "") + " GPU(s), endpoints " + config.endpoints() + ", logs on " + agent.agentUrl);
        return agent;
    }

    public String agentUrl() {
        return agentUrl;
    }

    /** The node's record as it is written to {@code /nodes/<id>} now. */
    private Node record() {
        Runtime runtime = Runtime.getRuntime();
        return new Node(config.nodeId(), hostname, gpus, probe.simulated(), runtime.availableProcessors(), memoryMiB(),
                config.labels(), VERSION, startedAt, Instant.now(), agentUrl, notice, logs.token());
    }

    private List<Node.Gpu> readGpus(List<Node.Gpu> otherwise) {
        try {
            return probe.read();
        } catch (NvidiaSmi.Failure e) {
            LOG.warning(e.getMessage());
            notice = e.getMessage();
            return otherwise;
        }
    }

    private void refreshTelemetry() {
        List<Node.Gpu> now = readGpus(gpus);
        if (Telemetry.changed(gpus, now)) {
            gpus = now;
            registration.publish();
        }
    }

    /** Where servers reach the log server: the host's name, unless it listens on one address only (loopback, say). */
    static String defaultUrl(java.net.InetSocketAddress listen, String hostname, int port) {
        java.net.InetAddress address = listen.getAddress();
        String host = address == null || address.isAnyLocalAddress() ? hostname
                : address instanceof java.net.Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
        return "http://" + host + ":" + port;
    }

    /** Total memory of the host (MiB), from /proc/meminfo where there is one. */
    private static Long memoryMiB() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: unknown
        }
        return null;
    }

    /** Stops the tasks (handing them back to the queue), gives the lease back, stops serving logs. */
    @Override
    public void close() {
        LOG.info("agent stopping: handing its tasks back to the scheduler");
        assignments.close();
        registration.close();
        executor.shutdownNow();
        logs.close();
        client.close();
    }
}
