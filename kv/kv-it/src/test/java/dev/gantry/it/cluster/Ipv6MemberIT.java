package dev.gantry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;

/**
 * A Gantry member on IPv6 URLs ({@code http://[::1]:port}), as etcd accepts them: it serves etcdctl, names
 * its bracketed URLs in {@code member list}, and answers the standard gRPC health check.
 */
class Ipv6MemberIT {

    @Test
    void aMemberOnIpv6LoopbackServesEtcdctlAndTheGrpcHealthCheck() {
        Assumptions.assumeTrue(hasIpv6Loopback(), "no IPv6 loopback on this machine");
        try (Cluster cluster = Cluster.start(Implementation.GANTRY, Cluster.IPV6_LOOPBACK, 1, List.of())) {
            Member member = cluster.members().getFirst();
            assertThat(member.clientUrl()).startsWith("http://[::1]:");

            HealthCheckResponse health = Await.until("the gRPC health check to answer SERVING", Duration.ofSeconds(30),
                    () -> {
                        HealthCheckResponse r = HealthGrpc.newBlockingStub(member.channel())
                                .withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
                        return r.getStatus() == HealthCheckResponse.ServingStatus.SERVING ? Optional.of(r) : Optional.empty();
                    }, () -> member.logTail(Cluster.LOG_TAIL_LINES));
            assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            assertThat(cluster.leader()).isEqualTo(member);

            Etcdctl etcdctl = Etcdctl.of(member);
            assertThat(etcdctl.run("put", "/v6/key", "value").stdout()).isEqualTo("OK\n");
            assertThat(etcdctl.run("get", "/v6/key", "--print-value-only").stdout()).isEqualTo("value\n");
            Etcdctl.Result members = etcdctl.run("member", "list");
            assertThat(members.succeeded()).as("%s", members).isTrue();
            assertThat(members.stdout()).contains(member.name(), member.peerUrl(), member.clientUrl());
        }
    }

    private static boolean hasIpv6Loopback() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(Cluster.IPV6_LOOPBACK), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
