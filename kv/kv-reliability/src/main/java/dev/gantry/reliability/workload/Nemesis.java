package dev.gantry.reliability.workload;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.ClusterGrpc;
import dev.gantry.kv.api.etcd.MemberAddRequest;
import dev.gantry.kv.api.etcd.MemberRemoveRequest;
import io.grpc.StatusRuntimeException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Injects one fault at a time, every {@code interval} (± half), and always heals it before the next: a killed
 * member is restarted, a paused one continued, a wiped one replaced, a partition's rules removed. The leader is
 * the target two times in three. Faults are bounded by the harness's own waits (a restarted member must become
 * ready), so a fault that does not heal fails the run instead of hanging it. Partitions take a {@link Firewall}
 * and a cluster {@link Cluster#startIsolatable started isolatable}.
 */
public final class Nemesis implements Runnable {

    private static final Duration RECONFIG_TIMEOUT = Duration.ofSeconds(60);

    private final Cluster cluster;
    private final Duration interval;
    private final Set<Fault> faults;
    /** Null when no fault needs one. */
    private final Firewall firewall;
    private final Map<Fault, AtomicInteger> injected = new EnumMap<>(Fault.class);
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicInteger nextName;
    private volatile Throwable failure;

    /** {@code firewall} may be null when no fault {@link Fault#needsFirewall() needs one}. */
    public Nemesis(Cluster cluster, Duration interval, Set<Fault> faults, Firewall firewall) {
        if (firewall == null && faults.stream().anyMatch(Fault::needsFirewall)) {
            throw new IllegalArgumentException("partitions need a firewall: " + faults);
        }
        this.cluster = cluster;
        this.interval = interval;
        this.faults = faults;
        this.firewall = firewall;
        for (Fault fault : Fault.values()) {
            injected.put(fault, new AtomicInteger());
        }
        this.nextName = new AtomicInteger(cluster.members().size() + 1);
    }

    @Override
    public void run() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<Fault> choices = faults.stream().flatMap(f -> f == Fault.WIPE_READD ? Stream.of(f) : Stream.of(f, f, f)).toList();
        // Every kind once first (in random order), so that even a short run has each; then the others three
        // times as often as replacements, which take longest.
        List<Fault> firsts = new ArrayList<>(faults);
        Collections.shuffle(firsts);
        try {
            for (int i = 0; !waitStop(interval.toMillis() / 2 + random.nextLong(interval.toMillis())); i++) {
                inject(i < firsts.size() ? firsts.get(i) : choices.get(random.nextInt(choices.size())));
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /**
     * Injects one fault into a member (the leader two times in three) and heals it before returning: for a
     * caller with a schedule of its own, which may mix in faults of other parts of the system.
     */
    public void inject(Fault fault) {
        if (!faults.contains(fault)) {
            throw new IllegalArgumentException(fault + " is not one of this nemesis's faults " + faults);
        }
        Member target = target();
        switch (fault) {
            case KILL -> kill(target);
            case PAUSE -> pause(target);
            case WIPE_READD -> wipeAndReadd(target);
            case PARTITION -> partition(target, true);
            case ONE_WAY_PARTITION -> partition(target, false);
        }
        injected.get(fault).incrementAndGet();
    }

    /** Asks the nemesis to stop after its current fault (which it heals). */
    public void stop() {
        stop.countDown();
    }

    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    public Map<Fault, Integer> injected() {
        Map<Fault, Integer> counts = new EnumMap<>(Fault.class);
        injected.forEach((fault, count) -> counts.put(fault, count.get()));
        return counts;
    }

    /** The leader two times in three (when the members agree on one right now), else any member. */
    private Member target() {
        List<Member> members = cluster.running();
        if (ThreadLocalRandom.current().nextInt(3) < 2) {
            for (Member member : members) {
                try {
                    long leader = cluster.status(member).getLeader();
                    Optional<Member> found = members.stream().filter(m -> m.id() == leader).findFirst();
                    if (found.isPresent()) {
                        return found.get();
                    }
                } catch (StatusRuntimeException e) {
                    // ask the next one
                }
            }
        }
        return members.get(ThreadLocalRandom.current().nextInt(members.size()));
    }

    private void kill(Member member) {
        cluster.kill9(member);
        Waits.hold(1000, 3000);
        cluster.restart(member);
    }

    private void pause(Member member) {
        cluster.pause(member);
        try {
            Waits.hold(2500, 4000);
        } finally {
            cluster.resume(member);
        }
    }

    /**
     * Cuts the member off from the others ({@link Firewall#cut}) for 3–6 s. When it leads, the fault must take:
     * the others, no longer hearing it, elect another leader while it lasts (or the nemesis fails), which also
     * proves that the firewall really cuts.
     */
    private void partition(Member member, boolean bothWays) {
        List<Member> others = cluster.running().stream().filter(other -> other != member).toList();
        boolean leads = others.stream().anyMatch(other -> leaderSeenBy(other) == member.id());
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ThreadLocalRandom.current().nextInt(3000, 6000));
        try {
            firewall.cut(member, others, bothWays);
            if (leads) {
                Await.until("the members cut off from their leader " + member.name() + " electing another one",
                        Duration.ofSeconds(20), () -> {
                            List<Long> seen = others.stream().map(this::leaderSeenBy).distinct().toList();
                            return seen.size() == 1 && seen.getFirst() != 0 && seen.getFirst() != member.id()
                                    ? Optional.of(true) : Optional.empty();
                        }, () -> cluster.logTails(20));
            }
            Waits.holdUntil(until);
        } finally {
            firewall.heal();
        }
    }

    /** The leader the member names now; 0 when it names none or does not answer. */
    private long leaderSeenBy(Member member) {
        try {
            return cluster.status(member).getLeader();
        } catch (StatusRuntimeException e) {
            return 0;
        }
    }

    private void wipeAndReadd(Member victim) {
        cluster.kill9(victim);
        Member via = cluster.running().getFirst();
        Await.until("MemberRemove of " + victim.name(), RECONFIG_TIMEOUT, () -> reconfigure(() ->
                ClusterGrpc.newBlockingStub(via.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .memberRemove(MemberRemoveRequest.newBuilder().setID(victim.id()).build())), () -> "");
        cluster.wipe(victim);
        cluster.forget(victim);
        Member fresh = cluster.newMember("m" + nextName.getAndIncrement());
        Await.until("MemberAdd of " + fresh.name(), RECONFIG_TIMEOUT, () -> reconfigure(() ->
                ClusterGrpc.newBlockingStub(via.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .memberAdd(MemberAddRequest.newBuilder().addPeerURLs(fresh.peerUrl()).build())), () -> "");
        cluster.startNew(fresh);
    }

    /** Runs a membership change; empty (try again) while the cluster refuses it as unhealthy or times out. */
    private static Optional<Boolean> reconfigure(Runnable change) {
        try {
            change.run();
            return Optional.of(true);
        } catch (StatusRuntimeException e) {
            String message = String.valueOf(e.getStatus().getDescription());
            if (message.contains("member not found") || message.contains("Peer URLs already exists")) {
                return Optional.of(true); // an earlier attempt that timed out took effect
            }
            return Optional.empty();
        }
    }

    private boolean waitStop(long millis) {
        try {
            return stop.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
