package dev.gantry.kv.client;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

/**
 * etcd's election recipe on plain keys, so it works on any etcd: each candidate puts
 * {@code <prefix>/<lease id>} under its own lease; the key with the lowest create revision leads. A candidate
 * whose lease is lost is no longer leader (its key is gone, or will be when the lease expires) and campaigns
 * again with a new lease. The leader's key and lease let it fence its writes: a txn that compares
 * {@code ifLease(key(), leaseId())} only applies while it still leads.
 */
public final class LeaderElection implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LeaderElection.class);

    /** Hears leadership won and lost; called from the election's threads, one call at a time. */
    public interface Listener {
        void elected(LeaderElection election);

        void defeated(String why);
    }

    private final KvClient client;
    private final String prefix;
    private final String value;
    private final long ttlSeconds;
    private final Listener listener;
    private volatile long leaseId;
    private volatile String key;
    private volatile boolean leader;
    private volatile boolean closed;
    private KeepAlive keepAlive;
    private Watch watch;
    private int failures;
    /** Campaigns make blocking calls: on their own thread, not the client's timer that keeps leases alive. */
    private final java.util.concurrent.ScheduledExecutorService worker =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "leader-election");
                thread.setDaemon(true);
                return thread;
            });

    public LeaderElection(KvClient client, String prefix, String value, long ttlSeconds, Listener listener) {
        this.client = client;
        this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
        this.value = value;
        this.ttlSeconds = ttlSeconds;
        this.listener = listener;
    }

    /** Starts campaigning in the background. */
    public LeaderElection start() {
        worker.execute(this::campaign);
        return this;
    }

    public boolean isLeader() {
        return leader;
    }

    /** This candidate's key, while it campaigns or leads. */
    public String key() {
        return key;
    }

    public long leaseId() {
        return leaseId;
    }

    /** The value of the current leader's key (e.g. its name), if there is a leader. */
    public java.util.Optional<String> leaderValue() {
        return candidates().stream().findFirst().map(Kv::value);
    }

    private synchronized void campaign() {
        if (closed) {
            return;
        }
        try {
            leaseId = client.grantLease(ttlSeconds);
            key = prefix + Long.toHexString(leaseId);
            long createRevision = client.txn().ifAbsent(key).put(key, value, leaseId).commit().revision();
            long lease = leaseId;
            keepAlive = client.keepAlive(lease, why -> lost(lease, why));
            watch = watchCandidates(createRevision + 1);
            failures = 0;
            check();
        } catch (KvException e) {
            LOG.warnf("campaign for %s failed, trying again: %s", prefix, e.getMessage());
            worker.schedule(this::campaign, KvClient.backoffMillis(++failures), TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void rewatch() {
        if (!closed && watch != null) {
            watch.close();
            watch = watchCandidates(0);
            check();
        }
    }

    /**
     * Watches the candidates from {@code fromRevision} (0: from now). Only a deletion can make this candidate
     * the first (or show its own key gone), so only deletions trigger a check; a compacted watch starts again.
     */
    private Watch watchCandidates(long fromRevision) {
        return client.watch(prefix, fromRevision, new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                if (events.stream().anyMatch(e -> e.type() == WatchEvent.Type.DELETE)) {
                    worker.execute(LeaderElection.this::check);
                }
            }

            @Override
            public void onCompacted(long compactRevision) {
                worker.execute(LeaderElection.this::rewatch);
            }
        });
    }

    private List<Kv> candidates() {
        return client.list(prefix).kvs().stream().sorted(Comparator.comparingLong(Kv::createRevision)).toList();
    }

    /** Leads when its key has the lowest create revision under the prefix. */
    private synchronized void check() {
        if (closed || leader || key == null) {
            return;
        }
        try {
            List<Kv> candidates = candidates();
            if (candidates.isEmpty() || !candidates.getFirst().key().equals(key)) {
                if (candidates.stream().noneMatch(kv -> kv.key().equals(key))) {
                    lost(leaseId, "election key " + key + " is gone");
                }
                return;
            }
            leader = true;
            LOG.infof("elected leader of %s (key %s)", prefix, key);
            listener.elected(this);
        } catch (KvException e) {
            worker.schedule(this::check, KvClient.backoffMillis(++failures), TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void lost(long lease, String why) {
        if (lease != leaseId || closed) {
            return;
        }
        boolean wasLeader = leader;
        stopCampaign();
        if (wasLeader) {
            LOG.warnf("lost leadership of %s: %s", prefix, why);
            listener.defeated(why);
        }
        worker.schedule(this::campaign, KvClient.backoffMillis(1), TimeUnit.MILLISECONDS);
    }

    private void stopCampaign() {
        leader = false;
        if (watch != null) {
            watch.close();
            watch = null;
        }
        if (keepAlive != null) {
            keepAlive.close();
            keepAlive = null;
        }
        leaseId = 0;
        key = null;
    }

    /** Resigns: revokes the lease so another candidate leads at once instead of after a TTL. */
    @Override
    public synchronized void close() {
        closed = true;
        long lease = leaseId;
        boolean wasLeader = leader;
        stopCampaign();
        if (lease != 0) {
            try {
                client.revokeLease(lease);
            } catch (KvException e) {
                LOG.warnf("could not resign from %s (the lease expires by itself): %s", prefix, e.getMessage());
            }
        }
        if (wasLeader) {
            listener.defeated("resigned");
        }
        worker.shutdownNow();
    }
}
