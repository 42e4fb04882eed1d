package dev.gantry.reliability.check;

import dev.gantry.reliability.history.LeaseLog;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * A lease's keys disappear only after the lease expired or was revoked. The lease cannot have expired before the
 * latest (keep-alive sent + TTL) over acknowledged keep-alives (nor before grant sent + TTL), and cannot have been
 * revoked before the client asked; a read that completed before both, after the key's put was acknowledged, must
 * see the key. Only the test JVM's monotonic clock is used; the servers' clocks run at the same rate.
 */
public final class LeaseChecker {

    public static final String NAME = "lease";

    public List<Anomaly> check(List<LeaseLog> leases, long originNanos) {
        List<Anomaly> anomalies = new ArrayList<>();
        for (LeaseLog lease : leases) {
            for (LeaseLog.Observation seen : lease.observations()) {
                OptionalLong put = lease.keyPutNanos(seen.key());
                if (seen.present() || put.isEmpty() || put.getAsLong() > seen.invokeNanos()) {
                    continue;
                }
                long alive = Math.min(lease.renewedUntilNanos(), lease.revokeInvokeNanos());
                if (seen.completeNanos() < alive) {
                    anomalies.add(new Anomaly(NAME, String.format(
                            "key %s of lease %x (TTL %d s, %d keep-alives) was gone at %.3fs, but the lease was alive"
                                    + " until at least %.3fs (%s)", seen.key(), lease.id(), lease.ttlSeconds(),
                            lease.keepAlives(), (seen.completeNanos() - originNanos) / 1e9, (alive - originNanos) / 1e9,
                            lease.revokeInvokeNanos() < lease.renewedUntilNanos()
                                    ? "revoke asked then" : "renewed until then, not revoked")));
                    break;
                }
            }
        }
        return anomalies;
    }
}
