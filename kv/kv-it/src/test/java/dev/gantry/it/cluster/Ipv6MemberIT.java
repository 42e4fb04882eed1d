package dev.gantry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.api.etcd.StatusResponse;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

/**
 * A Gantry member on IPv6 URLs ({@code http://[::1]:port}), as etcd accepts them: it serves etcdctl, names
 * its bracketed URLs in {@code member list}, and answers the standard gRPC health check.
 */
class Ipv6MemberIT {
    private Process process;
    private Path dir;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws IOException {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (process != null) {
            List<ProcessHandle> all = Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
            all.forEach(ProcessHandle::destroyForcibly);
            all.forEach(p -> p.onExit().orTimeout(10, TimeUnit.SECONDS).join());
        }
        if (dir != null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void aMemberOnIpv6LoopbackServesEtcdctlAndTheGrpcHealthCheck() throws Exception {
        Assumptions.assumeTrue(hasIpv6Loopback(), "no IPv6 loopback on this machine");
        int client = freePort();
        int peer = freePort();
        int http = freePort();
        String clientUrl = "http://[::1]:" + client;
        String peerUrl = "http://[::1]:" + peer;
        dir = Files.createTempDirectory("gantry-ipv6-");
        Path launcher = Path.of(System.getProperty(Implementation.GANTRY_HOME_PROPERTY, "../..")).resolve("bin/gantry");
        process = new ProcessBuilder(launcher.toString(), "server",
                "--name", "v6", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "v6=" + peerUrl,
                "--listen-http-urls", "http://[::1]:" + http)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("v6.log").toFile())
                .start();
        channel = NettyChannelBuilder.forAddress(new InetSocketAddress("::1", client)).usePlaintext().build();

        HealthCheckResponse health = Await.until("the gRPC health check to answer SERVING", Duration.ofSeconds(60), () -> {
            HealthCheckResponse r = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance());
            return r.getStatus() == HealthCheckResponse.ServingStatus.SERVING ? Optional.of(r) : Optional.empty();
        }, this::log);
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        StatusResponse status = Await.until("a leader", Duration.ofSeconds(30), () -> {
            StatusResponse s = MaintenanceGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance());
            return s.getLeader() != 0 ? Optional.of(s) : Optional.empty();
        }, this::log);
        assertThat(status.getLeader()).isEqualTo(status.getHeader().getMemberId());

        Etcdctl etcdctl = new Etcdctl(clientUrl);
        assertThat(etcdctl.run("put", "/v6/key", "value").stdout()).isEqualTo("OK\n");
        assertThat(etcdctl.run("get", "/v6/key", "--print-value-only").stdout()).isEqualTo("value\n");
        Etcdctl.Result members = etcdctl.run("member", "list");
        assertThat(members.succeeded()).as("%s", members).isTrue();
        assertThat(members.stdout()).contains("v6", peerUrl, clientUrl);
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("v6.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static boolean hasIpv6Loopback() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return s.getInetAddress() instanceof Inet6Address;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return s.getLocalPort();
        }
    }
}
