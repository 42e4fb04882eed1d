package dev.gantry.agent.node;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Node;
import dev.gantry.kv.client.KeepAlive;
import dev.gantry.kv.client.KvClient;

/**
 * This host's place in the cluster: a lease of the configured TTL, {@code /nodes/<id>} attached to it, and one
 * keep-alive stream renewing it every third of the TTL. When the keep-alive says the lease is lost (the server
 * expired it, or no renewal was answered for a TTL, so it may have), the listener hears it first — it must stop
 * everything done under that lease — and then the node registers again under a new lease, retrying with backoff
 * until the cluster answers. All of it runs on one thread, {@code executor}, so registrations never overlap.
 */
public final class Registration implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Registration.class.getName());
    private static final long BACKOFF_MAX_MS = 5000;

    /** Hears about the lease the node holds. Called on the registration thread. */
    public interface Listener {
        /** The node is registered (again) under {@code fence}'s lease. */
        void registered(Fence fence);

        /** The lease behind {@code fence} is lost or may be: whatever runs under it must stop now. */
        void lost(Fence fence, String why);
    }

    private final KvClient client;
    private final String nodeId;
    private final long ttlSeconds;
    private final Supplier<Node> record;
    private final Listener listener;
    private final ScheduledExecutorService executor;
    private volatile Fence fence;
    private KeepAlive keepAlive;
    private int failures;
    private volatile boolean closed;

    public Registration(KvClient client, String nodeId, long ttlSeconds, Supplier<Node> record, Listener listener,
            ScheduledExecutorService executor) {
        this.client = client;
        this.nodeId = nodeId;
        this.ttlSeconds = ttlSeconds;
        this.record = record;
        this.listener = listener;
        this.executor = executor;
    }

    public void start() {
        executor.execute(this::register);
    }

    /** The lease the node holds now; null while it is not registered. */
    public Fence fence() {
        return fence;
    }

    private void register() {
        if (closed) {
            return;
        }
        try {
            long lease = client.grantLease(ttlSeconds);
            Fence granted = new Fence(nodeId, lease);
            client.put(Keys.node(nodeId), Json.write(record.get()), lease);
            keepAlive = client.keepAlive(lease, why -> executor.execute(() -> lost(granted, why)));
            fence = granted;
            failures = 0;
            LOG.info(() -> "registered " + Keys.node(nodeId) + " under lease " + Long.toHexString(lease) + " (TTL " + ttlSeconds + " s)");
            listener.registered(granted);
        } catch (RuntimeException e) {
            long backoff = Math.min(BACKOFF_MAX_MS, 200L << Math.min(failures++, 5));
            LOG.warning("cannot register " + Keys.node(nodeId) + " (" + e.getMessage() + "); retrying in " + backoff + " ms");
            executor.schedule(this::register, backoff, TimeUnit.MILLISECONDS);
        }
    }

    private void lost(Fence lost, String why) {
        if (fence != lost || closed) {
            return;
        }
        fence = null;
        LOG.warning("lost the node's lease: " + why);
        try {
            listener.lost(lost, why);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "stopping the work of a lost lease failed", e);
        }
        register();
    }

    /** Writes the node's current record under its lease, if it is registered. */
    public void publish() {
        executor.execute(() -> {
            Fence current = fence;
            if (current == null || closed) {
                return;
            }
            try {
                client.put(Keys.node(nodeId), Json.write(record.get()), current.leaseId());
            } catch (RuntimeException e) {
                // a lease found gone here is the keep-alive's to notice; the next publish carries the news
                LOG.warning("cannot update " + Keys.node(nodeId) + ": " + e.getMessage());
            }
        });
    }

    /** Stops renewing and gives the lease back, deleting {@code /nodes/<id>} (best effort: the cluster may be gone). */
    @Override
    public void close() {
        closed = true;
        var done = executor.submit(() -> {
            if (keepAlive != null) {
                keepAlive.close();
            }
            Fence last = fence;
            fence = null;
            if (last != null) {
                client.revokeLease(last.leaseId());
            }
            return null;
        });
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warning("could not give the lease back (" + e + "); it expires within its TTL");
        }
    }
}
