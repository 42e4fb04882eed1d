package dev.gantry.kv.raft;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.metrics.RaftLogMetricsBase;
import org.apache.ratis.server.metrics.SegmentedRaftLogMetrics;
import org.apache.ratis.thirdparty.com.codahale.metrics.ExponentiallyDecayingReservoir;
import org.apache.ratis.thirdparty.com.codahale.metrics.MetricRegistry;
import org.apache.ratis.thirdparty.com.codahale.metrics.Reservoir;
import org.apache.ratis.thirdparty.com.codahale.metrics.Snapshot;
import org.apache.ratis.thirdparty.com.codahale.metrics.Timer;
import org.jboss.logging.Logger;

import dev.gantry.kv.metrics.Histogram;

/**
 * The duration of every fsync of a member's Raft log, as etcd's {@code etcd_disk_wal_fsync_duration_seconds}.
 * Ratis's log worker times each one (its {@code syncTime} timer: writing out the buffered entries, then
 * {@code FileChannel.force}) but keeps only a decaying sample of them. So when Ratis creates a member's
 * log-worker metric registry, this registers that timer first, over a reservoir that also counts every
 * observation into a histogram; Ratis then finds the timer by name and uses it.
 */
final class RaftLogSyncs {
    private static final Logger LOG = Logger.getLogger(RaftLogSyncs.class);
    private static final Map<String, Histogram> BY_PEER = new ConcurrentHashMap<>();

    static {
        MetricRegistries.global().addReporterRegistration(RaftLogSyncs::onRegistryCreated, registry -> { });
    }

    private RaftLogSyncs() {
    }

    /**
     * The fsyncs of {@code peer}'s log, in etcd's buckets (1 ms to 8 s); called before its Raft server is built,
     * which creates the registry.
     */
    static Histogram of(RaftPeerId peer) {
        return BY_PEER.computeIfAbsent(peer.toString(), p -> Histogram.exponential(0.001, 2, 14));
    }

    private static void onRegistryCreated(RatisMetricRegistry registry) {
        MetricRegistryInfo info = registry.getMetricRegistryInfo();
        if (!RaftLogMetricsBase.RATIS_LOG_WORKER_METRICS.equals(info.getMetricsComponentName())) {
            return;
        }
        // the prefix is the RaftGroupMemberId: <peer id>@group-<id>
        String prefix = info.getPrefix();
        Histogram fsyncs = BY_PEER.get(prefix.substring(0, Math.max(0, prefix.lastIndexOf('@'))));
        if (fsyncs == null) {
            return;
        }
        if (!(registry instanceof RatisMetricRegistryImpl dropwizard)) {
            LOG.warnf("Ratis metrics are not ratis-metrics-default's (%s): etcd_disk_wal_fsync_duration_seconds stays empty",
                    registry.getClass().getName());
            return;
        }
        dropwizard.getDropWizardMetricRegistry().register(MetricRegistry.name(info.getApplicationName(),
                        info.getMetricsComponentName(), prefix, SegmentedRaftLogMetrics.RAFT_LOG_SYNC_TIME),
                new Timer(new Observed(new ExponentiallyDecayingReservoir(), fsyncs)));
    }

    /** Timer's default reservoir, and every duration it is given (in nanoseconds) into the histogram too. */
    private record Observed(Reservoir sample, Histogram histogram) implements Reservoir {
        @Override
        public void update(long nanos) {
            histogram.observeNanos(nanos);
            sample.update(nanos);
        }

        @Override
        public int size() {
            return sample.size();
        }

        @Override
        public Snapshot getSnapshot() {
            return sample.getSnapshot();
        }
    }
}
