package dev.gantry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * Growing and shrinking a cluster with etcdctl 3.4, as an operator does (the implementation chosen by
 * {@code -Dit.impl}): {@code member add} then start the new member with {@code --initial-cluster-state existing};
 * {@code member remove} of a follower and of the leader (a removed member stops); learners, promoted once caught
 * up; and the cluster-wide views ({@code endpoint status/health/hashkv --cluster}) along the way.
 */
class MembershipIT {
    private static final Duration AWAIT = Duration.ofSeconds(60);

    @Test
    void growsFromOneMemberToThreeThenLosesItsLeaderAndAFollower() {
        try (Cluster cluster = Cluster.start(1)) {
            Member first = cluster.members().get(0);
            assertSucceeded(Etcdctl.of(first).run("put", "before", "1"));

            Member second = join(cluster, "m2");
            Member third = join(cluster, "m3");
            assertThat(Etcdctl.of(third).run("get", "before", "--print-value-only", "--consistency=s").stdout().trim())
                    .as("what was written before the member joined").isEqualTo("1");
            Etcdctl etcdctl = Etcdctl.of(cluster);
            List<String> list = lines(etcdctl.run("member", "list"));
            assertThat(list).hasSize(3).allMatch(line -> line.contains(", started, "));
            assertThat(list).anyMatch(line -> line.contains(", m2, " + second.peerUrl() + ", " + second.clientUrl()));

            Etcdctl.Result status = etcdctl.run("endpoint", "status", "--cluster");
            assertThat(lines(status)).as("%s", status).hasSize(3);
            assertThat(lines(status).stream().filter(line -> line.contains(", true, ")).count())
                    .as("one leader in %s", status).isEqualTo(1);
            Etcdctl.Result health = etcdctl.run("endpoint", "health", "--cluster");
            // etcdctl 3.4 prints health to stderr
            assertThat(health.stderr().lines().filter(line -> line.contains(" is healthy: ")).count()).as("%s", health)
                    .isEqualTo(3);
            awaitEqualHashes(cluster, 3);

            Member leader = cluster.leader();
            Member asked = cluster.members().stream().filter(m -> m != leader).findFirst().orElseThrow();
            remove(cluster, asked, leader);
            Member newLeader = cluster.leader();
            assertThat(newLeader).isNotSameAs(leader);
            assertSucceeded(Etcdctl.of(cluster).run("put", "after-leader-removed", "2"));
            assertThat(lines(Etcdctl.of(cluster).run("member", "list"))).hasSize(2);

            Member follower = cluster.members().stream().filter(m -> m != newLeader).findFirst().orElseThrow();
            remove(cluster, newLeader, follower);
            Etcdctl last = Etcdctl.of(cluster);
            assertSucceeded(last.run("put", "alone", "3"));
            assertThat(lines(last.run("get", "", "--prefix", "--keys-only")))
                    .containsExactly("after-leader-removed", "alone", "before");
            assertThat(lines(last.run("member", "list"))).hasSize(1);
        }
    }

    @Test
    void aLearnerIsPromotedOnceItHasCaughtUp() {
        try (Cluster cluster = Cluster.start(1)) {
            Member first = cluster.members().get(0);
            Etcdctl etcdctl = Etcdctl.of(first);
            for (int i = 0; i < 50; i++) {
                assertSucceeded(etcdctl.run("put", "k" + i, "v" + i));
            }
            Member learner = cluster.newMember("m2");
            Etcdctl.Result added = etcdctl.run("member", "add", "m2", "--learner", "--peer-urls=" + learner.peerUrl());
            assertThat(added.succeeded()).as("%s", added).isTrue();
            assertThat(added.stdout()).contains("Member ").contains(" added to cluster ");
            cluster.startNew(learner);
            assertThat(lines(etcdctl.run("member", "list"))).anyMatch(line -> line.contains(", m2, ") && line.endsWith(", true"));
            Etcdctl.Result learnerStatus = Etcdctl.of(learner).run("endpoint", "status");
            assertThat(learnerStatus.stdout()).as("IS LEARNER column").contains(", true, ");

            String id = Long.toHexString(learner.id());
            Await.until("the learner promoted", AWAIT, () -> {
                Etcdctl.Result promoted = etcdctl.run("member", "promote", id);
                if (promoted.succeeded()) {
                    return Optional.of(promoted);
                }
                assertThat(promoted.stderr()).contains("can only promote a learner member which is in sync with leader");
                return Optional.empty();
            }, cluster::toString);
            assertThat(lines(etcdctl.run("member", "list"))).allMatch(line -> line.endsWith(", false"));
            assertSucceeded(Etcdctl.of(cluster).run("put", "after", "promotion"));
            awaitEqualHashes(cluster, 2);
        }
    }

    @Test
    void conflictingOrUnknownMembersAreRefused() {
        try (Cluster cluster = Cluster.start(1)) {
            Member first = cluster.members().get(0);
            Etcdctl etcdctl = Etcdctl.of(first);
            Etcdctl.Result taken = etcdctl.run("member", "add", "again", "--peer-urls=" + first.peerUrl());
            assertThat(taken.succeeded()).isFalse();
            assertThat(taken.stderr()).contains("etcdserver: Peer URLs already exists");
            Etcdctl.Result unknown = etcdctl.run("member", "remove", "1234abcd");
            assertThat(unknown.succeeded()).isFalse();
            assertThat(unknown.stderr()).contains("etcdserver: member not found");
            Etcdctl.Result notLearner = etcdctl.run("member", "promote", Long.toHexString(first.id()));
            assertThat(notLearner.succeeded()).isFalse();
            assertThat(notLearner.stderr()).contains("etcdserver: can only promote a learner member");
            assertThat(lines(etcdctl.run("member", "list"))).hasSize(1);
        }
    }

    /**
     * {@code member add} (asking the members running now), then starts the new member as the command says. etcd
     * refuses an add until the members started last have been connected for a while ("unhealthy cluster").
     */
    private static Member join(Cluster cluster, String name) {
        Member member = cluster.newMember(name);
        Etcdctl.Result added = whileUnhealthy(Etcdctl.of(cluster), "member", "add", name, "--peer-urls=" + member.peerUrl());
        assertThat(added.succeeded()).as("%s", added).isTrue();
        assertThat(added.stdout()).contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\"")
                .contains(name + "=" + member.peerUrl());
        cluster.startNew(member);
        return member;
    }

    /** Asks {@code via} to remove {@code removed}, which then stops; the others go on without it. */
    private static void remove(Cluster cluster, Member via, Member removed) {
        Etcdctl.Result result = whileUnhealthy(Etcdctl.of(via), "member", "remove", Long.toHexString(removed.id()));
        assertThat(result.succeeded()).as("%s", result).isTrue();
        // etcdctl prints the ID with %16x: an ID below 2^60 comes out with leading spaces
        assertThat(result.stdout()).contains(String.format("Member %16x removed from cluster", removed.id()));
        Await.until(removed.name() + " stopping once removed", AWAIT,
                () -> removed.isRunning() ? Optional.empty() : Optional.of(true), () -> removed.logTail(40));
        cluster.forget(removed);
    }

    /**
     * Runs a reconfiguration, again while etcd refuses it as "unhealthy cluster": etcd's strict reconfiguration
     * check wants the members started last to have been connected for a few seconds.
     */
    private static Etcdctl.Result whileUnhealthy(Etcdctl etcdctl, String... args) {
        return Await.until(String.join(" ", args), AWAIT, () -> {
            Etcdctl.Result r = etcdctl.run(args);
            return r.succeeded() || !r.stderr().contains("etcdserver: unhealthy cluster") ? Optional.of(r) : Optional.empty();
        }, () -> "");
    }

    private static void awaitEqualHashes(Cluster cluster, int members) {
        Etcdctl etcdctl = Etcdctl.of(cluster);
        AtomicReference<Etcdctl.Result> last = new AtomicReference<>();
        Await.until("equal hashes on " + members + " members", AWAIT, () -> {
            Etcdctl.Result r = etcdctl.run("endpoint", "hashkv", "--cluster");
            last.set(r);
            List<String> out = lines(r);
            Set<String> hashes = out.stream().map(l -> l.substring(l.lastIndexOf(',') + 1).trim()).collect(Collectors.toSet());
            return r.succeeded() && out.size() == members && hashes.size() == 1 ? Optional.of(out) : Optional.empty();
        }, () -> last.get() + "\n" + cluster.logTails(Cluster.LOG_TAIL_LINES));
    }

    private static void assertSucceeded(Etcdctl.Result result) {
        assertThat(result.succeeded()).as("%s", result).isTrue();
    }

    private static List<String> lines(Etcdctl.Result result) {
        return Arrays.stream(result.stdout().split("\n")).filter(l -> !l.isBlank()).toList();
    }
}
