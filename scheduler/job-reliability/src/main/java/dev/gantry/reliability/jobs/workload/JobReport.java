package dev.gantry.reliability.jobs.workload;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.gantry.reliability.check.Anomaly;

/**
 * What a job run did and what the checkers found; {@link #summary()} is the one line a build log shows.
 *
 * @param jobs           acknowledged jobs by how they ended (SUCCEEDED, FAILED, CANCELLED, PENDING, ...)
 * @param unknownSubmits submits whose outcome is unknown (failed or timed out)
 * @param cancels        cancels by outcome (CANCELLED, REFUSED, UNKNOWN)
 * @param taskVersions   versions of /tasks/ keys recorded
 * @param requeues       times a SCHEDULED or RUNNING task went back to PENDING (its node lost, its agent restarted)
 * @param processes      task process groups seen on the agent hosts
 * @param maxOverlapMs   the longest one task's processes were seen alive on two nodes at once (allowed or not)
 * @param maxOutlivedMs  the longest a process of a live agent was seen alive after its assignment ended
 */
public record JobReport(int members, int agents, long trafficSeconds, Map<String, Long> jobs, long unknownSubmits,
        Map<String, Long> cancels, long taskVersions, long requeues, long processes, long maxOverlapMs, long maxOutlivedMs,
        Map<String, Integer> faults, List<Anomaly> anomalies) {

    public long acknowledgedJobs() {
        return jobs.values().stream().mapToLong(Long::longValue).sum();
    }

    public int faultCount() {
        return faults.values().stream().mapToInt(Integer::intValue).sum();
    }

    public String summary() {
        return String.format("job reliability: %d members, %d agents, %d s of traffic: %d jobs (%s), %d submits unknown,"
                        + " %d cancels (%s); %d task versions, %d requeues, %d processes (max overlap of one task on two nodes %d ms,"
                        + " max life past its assignment %d ms); faults %d (%s); anomalies %d",
                members, agents, trafficSeconds, acknowledgedJobs(), counts(jobs), unknownSubmits,
                cancels.values().stream().mapToLong(Long::longValue).sum(), counts(cancels), taskVersions, requeues, processes,
                maxOverlapMs, maxOutlivedMs, faultCount(), counts(faults), anomalies.size());
    }

    public String anomaliesText() {
        return anomalies.stream().map(Anomaly::toString).collect(Collectors.joining("\n"));
    }

    private static String counts(Map<String, ? extends Number> counts) {
        return counts.entrySet().stream().map(e -> e.getKey().toLowerCase() + " " + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
