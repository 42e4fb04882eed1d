package dev.gantry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * The maintenance an operator does with etcdctl 3.4, on a 3-member cluster (the implementation chosen by
 * {@code -Dit.impl}): {@code endpoint hashkv --cluster} (every member reports the same hash: a consistency
 * check), {@code defrag --cluster} and {@code move-leader}.
 */
class MaintenanceIT extends SharedClusterTest {
    private static final Duration AWAIT = Duration.ofSeconds(30);

    @Test
    void everyMemberHashesTheKeySpaceTheSame() {
        Etcdctl etcdctl = Etcdctl.of(cluster);
        for (int i = 0; i < 20; i++) {
            assertThat(etcdctl.run("put", prefix + i, "v" + i).succeeded()).isTrue();
        }
        assertThat(etcdctl.run("del", prefix + "3").succeeded()).isTrue();
        // "<endpoint>, <hash>" per member; equal once all have applied the same revision
        List<String> lines = Await.until("equal hashes on all members", AWAIT, () -> {
            Etcdctl.Result r = etcdctl.run("endpoint", "hashkv", "--cluster");
            List<String> out = Arrays.stream(r.stdout().split("\n")).filter(l -> !l.isBlank()).toList();
            Set<String> hashes = out.stream().map(l -> l.substring(l.lastIndexOf(',') + 1).trim()).collect(Collectors.toSet());
            return r.succeeded() && out.size() == 3 && hashes.size() == 1 ? Optional.of(out) : Optional.empty();
        }, cluster::toString);
        assertThat(lines).hasSize(3);
    }

    @Test
    void defragmentingEveryMemberKeepsTheData() {
        Etcdctl etcdctl = Etcdctl.of(cluster);
        assertThat(etcdctl.run("put", prefix + "k", "v").succeeded()).isTrue();
        Etcdctl.Result defrag = etcdctl.run("defrag", "--cluster");
        assertThat(defrag.succeeded()).as("%s", defrag).isTrue();
        assertThat(defrag.stdout().lines().filter(l -> l.startsWith("Finished defragmenting etcd member[")).count())
                .as("%s", defrag).isEqualTo(3);
        assertThat(etcdctl.run("get", prefix + "k", "--print-value-only").stdout().trim()).isEqualTo("v");
    }

    @Test
    void theLeaderHandsLeadershipToTheMemberNamed() {
        Member leader = cluster.leader();
        Member target = cluster.members().stream().filter(m -> m != leader).findFirst().orElseThrow();
        Etcdctl.Result refused = Etcdctl.of(target).run("move-leader", Long.toHexString(leader.id()));
        assertThat(refused.succeeded()).as("move-leader sent to a follower: %s", refused).isFalse();

        Etcdctl.Result moved = Etcdctl.of(leader).run("move-leader", Long.toHexString(target.id()));
        assertThat(moved.succeeded()).as("%s", moved).isTrue();
        assertThat(moved.stdout()).contains("Leadership transferred from " + Long.toHexString(leader.id())
                + " to " + Long.toHexString(target.id()));
        Await.until(target.name() + " leading", AWAIT,
                () -> cluster.leader() == target ? Optional.of(true) : Optional.empty(), cluster::toString);
    }
}
