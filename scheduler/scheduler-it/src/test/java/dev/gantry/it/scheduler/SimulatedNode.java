package dev.gantry.it.scheduler;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Node;
import dev.gantry.kv.client.KeepAlive;
import dev.gantry.kv.client.KvClient;

/**
 * A node as its agent registers it: a lease kept alive, and {@code /nodes/<id>} put under it. It runs nothing;
 * {@link SimulatedAgents} moves its tasks along. {@link #stopKeepAlive} lets the lease expire, as a dead agent's.
 */
final class SimulatedNode implements AutoCloseable {
    final String id;
    final Node node;
    final long leaseId;
    private final KvClient client;
    private KeepAlive keepAlive;

    private SimulatedNode(KvClient client, String id, Node node, long ttlSeconds) {
        this.client = client;
        this.id = id;
        this.node = node;
        this.leaseId = client.grantLease(ttlSeconds);
        this.keepAlive = client.keepAlive(leaseId, why -> { });
        client.put(Keys.node(id), Json.write(node), leaseId);
    }

    /** A node with {@code gpus} GPUs named {@code gpuName} of {@code memoryGiB} each, registered under a TTL lease. */
    static SimulatedNode register(KvClient client, String id, int gpus, String gpuName, long memoryGiB, long ttlSeconds) {
        List<Node.Gpu> list = IntStream.range(0, gpus).mapToObj(i -> new Node.Gpu(i, "GPU-" + id + "-" + i, gpuName,
                memoryGiB * 1024, 0L, 0, 30, 50.0, true)).toList();
        Node node = new Node(id, id + ".sim", list, true, 8, 65536L, Map.of(), "test", Instant.now(), Instant.now());
        return new SimulatedNode(client, id, node, ttlSeconds);
    }

    /** Stops renewing: the lease, and the node key with it, expires within its TTL. */
    void stopKeepAlive() {
        if (keepAlive != null) {
            keepAlive.close();
            keepAlive = null;
        }
    }

    @Override
    public void close() {
        stopKeepAlive();
        try {
            client.revokeLease(leaseId);
        } catch (RuntimeException e) {
            // the cluster may be gone already
        }
    }
}
