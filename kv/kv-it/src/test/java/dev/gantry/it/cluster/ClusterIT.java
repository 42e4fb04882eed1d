package dev.gantry.it.cluster;

import com.google.protobuf.ByteString;
import dev.gantry.it.cluster.Etcdctl.Result;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The harness on a 3-member cluster of the implementation chosen by {@code -Dit.impl}: election, replication
 * through etcdctl, SIGKILL and SIGTERM of members, restart from the data dir, and cleanup. With
 * {@code -Dit.impl=etcd} it checks the harness; with Gantry it is also a first failover test of Gantry.
 */
class ClusterIT extends SharedClusterTest {
    /** Tests that take members down bring them back here, so each test starts with all three running. */
    @AfterEach
    void restartStoppedMembers() {
        cluster.members().stream().filter(member -> !member.isRunning()).forEach(cluster::restart);
    }

    @Test
    void allMembersAgreeOnOneLeader() {
        Member leader = cluster.leader();

        assertThat(cluster.members()).contains(leader);
        assertThat(cluster.members()).extracting(Member::id).doesNotContain(0L).doesNotHaveDuplicates();
        for (Member member : cluster.members()) {
            assertThat(cluster.status(member).getLeader()).as("leader named by %s", member).isEqualTo(leader.id());
        }
    }

    @Test
    void aWriteThroughEtcdctlIsReadOnEveryMember() {
        Result put = Etcdctl.of(cluster).run("put", "/cluster-it/replicated", "1");

        assertThat(put.succeeded()).as("%s", put).isTrue();
        assertThat(put.stdout()).isEqualTo("OK\n");
        for (Member member : cluster.members()) {
            assertThat(valueOn(member, "/cluster-it/replicated")).as("read on %s", member).isEqualTo("1");
        }
    }

    @Test
    void etcdctlTxnReadsItsProgramFromStdin() {
        Etcdctl etcdctl = Etcdctl.of(cluster);
        etcdctl.run("put", "/cluster-it/txn-flag", "on");

        Result txn = etcdctl.runWithStdin("""
                value("/cluster-it/txn-flag") = "on"

                put /cluster-it/txn-result then

                put /cluster-it/txn-result else

                """, "txn", "-i");

        assertThat(txn.succeeded()).as("%s", txn).isTrue();
        // etcdctl prints its prompts ("compares:", ...) to stdout too, then the outcome and each response.
        assertThat(txn.stdout()).endsWith("SUCCESS\n\nOK\n");
        assertThat(valueOn(cluster.leader(), "/cluster-it/txn-result")).isEqualTo("then");
    }

    /**
     * etcd answers a write only once the member that took it has applied it: the client's next serializable read
     * there sees it. Through a follower the write is committed by the leader first, so a follower that answered on
     * the leader's word alone would often be a few milliseconds behind its own acknowledgement.
     */
    @Test
    void aFollowerReadsItsOwnAcknowledgedWritesLocally() {
        Member leader = cluster.leader();
        Member follower = cluster.members().stream().filter(member -> member != leader).findFirst().orElseThrow();
        KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(follower.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
        ByteString key = ByteString.copyFromUtf8("/cluster-it/read-your-writes");
        List<String> behind = new ArrayList<>();

        for (int i = 0; i < 300; i++) {
            ByteString value = ByteString.copyFromUtf8(Integer.toString(i));
            long revision = kv.put(PutRequest.newBuilder().setKey(key).setValue(value).build()).getHeader().getRevision();
            RangeResponse read = kv.range(RangeRequest.newBuilder().setKey(key).setSerializable(true).build());
            if (read.getKvsCount() != 1 || !read.getKvs(0).getValue().equals(value)) {
                behind.add("put " + i + " at revision " + revision + ", read back at revision "
                        + read.getHeader().getRevision() + ": " + read.getKvsList());
            }
        }

        assertThat(behind).as("serializable reads on %s right after its own acknowledged puts", follower).isEmpty();
    }

    @Test
    void aKilledLeaderIsReplacedAndCatchesUpAfterRestart() {
        Member killed = cluster.leader();
        ProcessHandle process = killed.process().orElseThrow();

        cluster.kill9(killed);

        assertThat(process.isAlive()).isFalse();
        assertThat(killed.isRunning()).isFalse();
        Member successor = cluster.leader();
        assertThat(successor).isNotEqualTo(killed);
        assertThat(Etcdctl.of(successor).run("put", "/cluster-it/after-failover", "2").succeeded()).isTrue();

        cluster.restart(killed);

        assertThat(valueOn(killed, "/cluster-it/after-failover")).isEqualTo("2");
    }

    @Test
    void aStoppedMemberExitsAndRestartsFromItsDataDir() {
        Member leader = cluster.leader();
        Member follower = cluster.members().stream().filter(member -> member != leader).findFirst().orElseThrow();
        long id = follower.id();
        assertThat(Etcdctl.of(cluster).run("put", "/cluster-it/before-stop", "3").succeeded()).isTrue();

        cluster.stop(follower);

        assertThat(follower.isRunning()).isFalse();
        assertThat(follower.dataDir()).isNotEmptyDirectory();

        cluster.restart(follower);

        assertThat(follower.id()).as("member ID kept in the data dir").isEqualTo(id);
        assertThat(valueOn(follower, "/cluster-it/before-stop")).isEqualTo("3");
    }

    @Test
    void closeKillsEveryProcessAndDeletesEveryDirectory() {
        Cluster single = Cluster.start(cluster.implementation(), 1);
        Member member = single.members().getFirst();
        ProcessHandle process = member.process().orElseThrow();
        List<ProcessHandle> descendants = process.descendants().toList();
        Path dataDir = member.dataDir();

        single.close();

        assertThat(process.isAlive()).isFalse();
        assertThat(descendants).noneMatch(ProcessHandle::isAlive);
        assertThat(Files.exists(dataDir)).isFalse();
        assertThat(Files.exists(member.logFile())).isFalse();
    }

    /** A linearizable read through etcdctl on one member only. */
    private static String valueOn(Member member, String key) {
        Result get = Etcdctl.of(member).run("get", key, "--print-value-only");
        assertThat(get.succeeded()).as("%s", get).isTrue();
        return get.stdout().strip();
    }
}
