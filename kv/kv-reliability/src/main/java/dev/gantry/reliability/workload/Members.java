package dev.gantry.reliability.workload;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** Picks members for clients: any running one (the membership changes under the clients' feet). */
final class Members {
    private Members() {
    }

    static Optional<Member> anyRunning(Cluster cluster) {
        List<Member> running = cluster.running();
        return running.isEmpty() ? Optional.empty()
                : Optional.of(running.get(ThreadLocalRandom.current().nextInt(running.size())));
    }
}
