package dev.gantry.reliability.workload;

import dev.gantry.reliability.check.Anomaly;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What a run did and what the checkers found; {@link #summary()} is the one line a build log shows. */
public record Report(String implementation, int members, long trafficSeconds, long ok, long fail, long unknown,
        Map<Fault, Integer> faults, int watchers, long watchEvents, int watchResumptions, int leases,
        int revisionSamples, List<Anomaly> anomalies) {

    public long operations() {
        return ok + fail + unknown;
    }

    public String summary() {
        return String.format("reliability: %s, %d members, %d s of traffic: %d operations (ok %d, fail %d, unknown %d),"
                        + " %d watchers %d events (%d resumptions), %d leases, %d revision samples;"
                        + " faults %d (%s); anomalies %d",
                implementation, members, trafficSeconds, operations(), ok, fail, unknown, watchers, watchEvents,
                watchResumptions, leases, revisionSamples, faults.values().stream().mapToInt(Integer::intValue).sum(),
                faults.entrySet().stream().map(e -> e.getKey().name().toLowerCase() + " " + e.getValue())
                        .collect(Collectors.joining(", ")), anomalies.size());
    }

    public String anomaliesText() {
        return anomalies.stream().map(Anomaly::toString).collect(Collectors.joining("\n"));
    }
}
