package dev.gantry.it.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.ClusterTls;
import dev.gantry.it.cluster.Etcdctl;
import dev.gantry.it.cluster.Etcdctl.Result;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.it.cluster.MemberHttp;

/**
 * {@code --auto-tls --peer-auto-tls}: every member makes its own self-signed certificates under its data directory, as
 * etcd does, and members trust each other's without verification. Clients either skip verification (etcdctl
 * {@code --insecure-skip-tls-verify}) or trust the one member's certificate as its own CA. Two members are enough for
 * members to talk to each other over such certificates (a write through the follower is forwarded to the leader),
 * and start faster than three on a small machine; {@link MutualTlsIT} runs three.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AutoTlsIT {
    private Cluster cluster;

    @BeforeAll
    void startCluster() {
        // Gantry only: etcd 3.4 makes P-521 certificates, which the harness's gRPC client (BoringSSL) refuses
        cluster = Cluster.start(Implementation.GANTRY, 2, ClusterTls.auto());
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void etcdctlSkippingVerificationWritesReadsAndReachesEveryMember() {
        Member leader = cluster.leader();
        Member follower = cluster.members().stream().filter(member -> member != leader).findFirst().orElseThrow();
        // Etcdctl.of: --insecure-transport=false --insecure-skip-tls-verify
        assertThat(ok(Etcdctl.of(follower).run("put", "/auto/k", "v"))).isEqualTo("OK\n");
        assertThat(ok(Etcdctl.of(leader).run("get", "/auto/k", "--print-value-only"))).isEqualTo("v\n");

        List<String> status = ok(Etcdctl.of(follower).run("endpoint", "status", "--cluster")).lines().toList();
        assertThat(status).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("https://127.0.0.1:"));
    }

    @Test
    void aMembersOwnCertificateVerifiesItAndWithoutItTheCertificateIsUnknown() {
        Member member = cluster.members().get(0);
        Path madeByTheMember = member.dataDir().resolve("fixtures").resolve("client").resolve("cert.pem");

        Result verified = new Etcdctl(member.clientUrl(), List.of("--cacert=" + madeByTheMember)).run("get", "/auto/none");
        assertThat(verified.exitCode()).as(verified.toString()).isZero();

        Result unknown = new Etcdctl(member.clientUrl(), List.of("--insecure-transport=false", "--dial-timeout=1s",
                "--command-timeout=2s")).run("get", "/auto/none");
        assertThat(unknown.exitCode()).as("verifying against the system's CAs: " + unknown).isNotZero();
    }

    @Test
    void healthIsServedOverHttps() {
        for (Member member : cluster.members()) {
            assertThat(MemberHttp.health(cluster, member)).as(member.name()).contains("\"health\":\"true\"");
        }
    }

    private static String ok(Result result) {
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return result.stdout();
    }
}
