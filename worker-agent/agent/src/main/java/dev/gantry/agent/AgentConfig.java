package dev.gantry.agent;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.gantry.kv.client.EtcdUser;
import dev.gantry.kv.client.TlsOptions;

/**
 * What {@code gantry agent} was told, checked: {@link AgentCommand} builds it from the flags.
 *
 * @param simulateGpus  {@code --simulate-gpus} (e.g. {@code 8xH100-80GB}); null: discover with nvidia-smi
 * @param listen        where the log server listens
 * @param advertiseUrl  how servers reach the log server; null: {@code http://<hostname>:<bound port>}
 * @param stopGrace     between SIGTERM and SIGKILL when a task is stopped
 * @param progressEvery the most often a task's progress is written to its key
 * @param telemetryEvery how often GPUs are re-read
 * @param tls           how to reach {@code https://} endpoints (etcdctl's --cacert, --cert, --key)
 * @param user          the etcd user the agent connects as ({@code --user}, {@code --password-file}); null: none
 */
public record AgentConfig(
        List<String> endpoints,
        String nodeId,
        long leaseTtlSeconds,
        Path workDir,
        String simulateGpus,
        Map<String, String> labels,
        InetSocketAddress listen,
        String advertiseUrl,
        Duration stopGrace,
        Duration progressEvery,
        Duration telemetryEvery,
        TlsOptions tls,
        EtcdUser user) {
}
