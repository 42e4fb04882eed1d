package dev.gantry.reliability.workload;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.api.etcd.StatusResponse;
import io.grpc.StatusRuntimeException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Asks every running member its Status in turn, and keeps each member ID's revisions in the order seen. */
public final class RevisionMonitor implements Runnable {

    private final Cluster cluster;
    private final BooleanSupplier stopped;
    private final Map<String, List<Long>> samples = new LinkedHashMap<>();

    public RevisionMonitor(Cluster cluster, BooleanSupplier stopped) {
        this.cluster = cluster;
        this.stopped = stopped;
    }

    @Override
    public void run() {
        while (!stopped.getAsBoolean()) {
            for (Member member : cluster.running()) {
                try {
                    StatusResponse status = MaintenanceGrpc.newBlockingStub(member.channel())
                            .withDeadlineAfter(500, TimeUnit.MILLISECONDS).status(StatusRequest.getDefaultInstance());
                    synchronized (samples) {
                        samples.computeIfAbsent(member.name() + "/" + Long.toHexString(status.getHeader().getMemberId()),
                                id -> new ArrayList<>()).add(status.getHeader().getRevision());
                    }
                } catch (StatusRuntimeException e) {
                    // down or paused: no sample
                }
            }
            LockSupport.parkNanos(100_000_000L); // sampling period
        }
    }

    public Map<String, List<Long>> samples() {
        synchronized (samples) {
            Map<String, List<Long>> copy = new LinkedHashMap<>();
            samples.forEach((member, revisions) -> copy.put(member, List.copyOf(revisions)));
            return copy;
        }
    }

    public int count() {
        synchronized (samples) {
            return samples.values().stream().mapToInt(List::size).sum();
        }
    }
}
