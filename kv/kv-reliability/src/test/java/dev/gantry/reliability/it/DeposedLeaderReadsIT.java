package dev.gantry.reliability.it;

import com.google.protobuf.ByteString;
import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.reliability.workload.Firewall;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A leader cut off from the others must stop answering linearizable reads before the others' new leader commits
 * anything: once a write is acknowledged elsewhere, a read that starts later must see it or fail. Each cycle
 * cuts the leader off both ways while readers keep asking it, waits for the others to elect a leader of their own
 * and writes through it for a few seconds.
 */
class DeposedLeaderReadsIT {

    private static final int CYCLES = 3;
    /** How long the writer writes through the new leader, the old one still cut off. */
    private static final int WRITE_SECONDS = 3;
    private static final ByteString KEY = ByteString.copyFromUtf8("deposed/k");

    private record Read(long startNanos, long endNanos, long revision) {
    }

    private record Write(long sentNanos, long ackNanos, long revision) {
    }

    @Test
    void aCutOffLeaderServesNoStaleReads() throws Exception {
        Optional<String> noPartitions = Firewall.unavailable();
        assumeTrue(noPartitions.isEmpty(), () -> "needs partitions: " + noPartitions.orElse(""));
        List<String> stale = new ArrayList<>();
        try (Firewall firewall = Firewall.open();
                Cluster cluster = Cluster.startIsolatable(Implementation.fromSystemProperty(), 3, List.of())) {
            for (int cycle = 1; cycle <= CYCLES; cycle++) {
                Member leader = cluster.leader();
                List<Member> others = cluster.running().stream().filter(m -> m != leader).toList();
                put(leader, "before-" + cycle);
                for (int i = 0; i < 5; i++) {
                    read(leader);
                }
                ConcurrentLinkedQueue<Read> reads = new ConcurrentLinkedQueue<>();
                List<Write> writes = new ArrayList<>();
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> readers = new ArrayList<>();
                for (int r = 0; r < 4; r++) {
                    readers.add(Thread.ofPlatform().daemon().start(() -> {
                        while (!stop.get()) {
                            long start = System.nanoTime();
                            try {
                                long revision = read(leader);
                                reads.add(new Read(start, System.nanoTime(), revision));
                            } catch (StatusRuntimeException e) {
                                // a failed read is fine
                            }
                        }
                    }));
                }
                long cutAt = System.nanoTime();
                firewall.cut(leader, others, true);
                try {
                    Member successor = Await.until("the members cut off from " + leader.name() + " electing another "
                            + "leader", Duration.ofSeconds(20), () -> newLeader(cluster, others, leader),
                            () -> cluster.logTails(20));
                    // The cut-off leader served stale reads for seconds after the new leader's first write.
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WRITE_SECONDS);
                    List<String> failedWrites = new ArrayList<>();
                    for (int n = 0; System.nanoTime() < until; n++) {
                        long sent = System.nanoTime();
                        try {
                            long revision = put(successor, "during-" + cycle + "-" + n);
                            writes.add(new Write(sent, System.nanoTime(), revision));
                        } catch (StatusRuntimeException e) {
                            // not yet ready, or a timeout: the next one
                            failedWrites.add(TimeUnit.NANOSECONDS.toMillis(sent - cutAt) + " ms after the cut: "
                                    + e.getStatus());
                        }
                    }
                    assertThat(writes).as(() -> String.format("writes acknowledged by %s while %s was cut off; "
                            + "failed: %s%n%s", successor.name(), leader.name(), failedWrites, cluster.logTails(40)))
                            .isNotEmpty();
                } finally {
                    stop.set(true);
                    for (Thread reader : readers) {
                        reader.join();
                    }
                    firewall.heal();
                }
                int staleThisCycle = 0;
                for (Read read : reads) {
                    for (Write write : writes) {
                        if (read.startNanos() > write.ackNanos() && read.revision() < write.revision()) {
                            staleThisCycle++;
                            if (stale.size() < 10) {
                                stale.add(String.format("cycle %d: read at %s started %d ms after the cut, %d ms after "
                                                + "revision %d was acknowledged elsewhere, answered revision %d",
                                        cycle, leader.name(), TimeUnit.NANOSECONDS.toMillis(read.startNanos() - cutAt),
                                        TimeUnit.NANOSECONDS.toMillis(read.startNanos() - write.ackNanos()),
                                        write.revision(), read.revision()));
                            }
                            break;
                        }
                    }
                }
                System.out.printf("deposed leader reads, cycle %d: %s cut off; %d reads answered, %d writes "
                        + "acknowledged by the others (the first %d ms after the cut, median put %.1f ms), %d stale%n",
                        cycle, leader.name(), reads.size(), writes.size(),
                        TimeUnit.NANOSECONDS.toMillis(writes.getFirst().ackNanos() - cutAt),
                        writes.stream().mapToLong(w -> w.ackNanos() - w.sentNanos()).sorted().toArray()[writes.size() / 2]
                                / 1e6, staleThisCycle);
                cluster.leader(); // healed: all agree on one again
            }
        }
        assertThat(stale).as("linearizable reads answered by a cut-off leader after a newer write").isEmpty();
    }

    /** The leader the others agree on, when it is not the cut-off one. */
    private static Optional<Member> newLeader(Cluster cluster, List<Member> others, Member old) {
        try {
            List<Long> named = others.stream().map(m -> cluster.status(m).getLeader()).distinct().toList();
            return named.size() == 1 && named.getFirst() != old.id()
                    ? others.stream().filter(m -> m.id() == named.getFirst()).findFirst() : Optional.empty();
        } catch (StatusRuntimeException e) {
            return Optional.empty();
        }
    }

    private static long read(Member member) {
        return KVGrpc.newBlockingStub(member.channel()).withDeadlineAfter(1, TimeUnit.SECONDS)
                .range(RangeRequest.newBuilder().setKey(KEY).build()).getHeader().getRevision();
    }

    private static long put(Member member, String value) {
        return KVGrpc.newBlockingStub(member.channel()).withDeadlineAfter(1, TimeUnit.SECONDS)
                .put(PutRequest.newBuilder().setKey(KEY).setValue(ByteString.copyFromUtf8(value)).build())
                .getHeader().getRevision();
    }
}
