package dev.gantry.server.jobs;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.gantry.agent.Agent;
import dev.gantry.agent.AgentConfig;
import dev.gantry.kv.raft.KvMember;
import dev.gantry.server.tls.ClientTls;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * The embedded default's agent ({@code --agent}, on by default for a single-member cluster): the worker agent of
 * this host, running inside the server against its own client URL, so that {@code gantry server} alone can run
 * jobs — on the host's GPUs if nvidia-smi finds any, CPU-only jobs otherwise. Its work dir is under the data dir;
 * it serves logs on loopback only; it connects as the job layer's user ({@link JobUser}). Production hosts run {@code gantry agent} as its own service instead.
 */
@ApplicationScoped
public class LocalAgent {
    private static final Logger LOG = Logger.getLogger(LocalAgent.class);

    @Inject
    KvMember member;

    @Inject
    ClientTls tls;

    @Inject
    JobUser user;

    private volatile Agent agent;

    void onStart(@Observes StartupEvent event) {
        boolean single = member.config().initialCluster().size() == 1;
        if (!SchedulerLifecycle.on("agent", single)) {
            return;
        }
        AgentConfig config = new AgentConfig(member.advertiseClientUrls().stream().map(Object::toString).toList(),
                dev.gantry.agent.AgentCommand.defaultNodeId(), 10, member.config().dataDir().toAbsolutePath().resolve("agent"), null,
                Map.of("gantry.dev/embedded", "true"), new InetSocketAddress("127.0.0.1", 0), null, Duration.ofSeconds(10),
                Duration.ofSeconds(3), Duration.ofSeconds(10), tls.clientOptions(), user.user());
        agent = Agent.start(config);
        LOG.infof("local agent started (--agent=on): node %s, work dir %s", config.nodeId(), config.workDir());
    }

    void onStop(@Observes ShutdownEvent event) {
        Agent a = agent;
        if (a != null) {
            a.close();
        }
    }
}
