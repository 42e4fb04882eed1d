package dev.gantry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/gantry}: help, and bad input refused with a clear message and exit status 2 before anything starts. */
class LauncherIT {
    @TempDir
    Path dir;

    record Run(int exitCode, String output) {
    }

    @Test
    void helpListsEtcdsFlags() throws Exception {
        Run run = gantry("server", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.output()).contains("--initial-cluster NAME=URL", "--listen-client-urls", "--election-timeout");
    }

    @Test
    void snapshotRestoreHelpListsEtcdctlsRestoreFlags() throws Exception {
        Run run = gantry("snapshot", "restore", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.output()).contains("Usage: gantry snapshot restore FILE", "--initial-cluster NAME=URL",
                "--initial-cluster-token", "--skip-hash-check");
        assertThat(gantry("--help").output()).contains("snapshot  restore FILE");
    }

    @Test
    void anUnknownFlagIsRefused() throws Exception {
        Run run = gantry("server", "--no-such-flag", "1");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.output()).contains("unknown flag --no-such-flag");
        assertThat(dir.resolve("gantry-data")).doesNotExist();
    }

    @Test
    void anInitialClusterWithoutThisMemberIsRefused() throws Exception {
        Run run = gantry("server", "--name", "a", "--initial-cluster", "b=http://127.0.0.1:1");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.output()).contains("--initial-cluster has no entry for this member's --name 'a'");
    }

    @Test
    void anHttpsUrlWithoutACertificateIsRefusedBeforeAnythingStarts() throws Exception {
        int[] ports = Cluster.freePorts(Cluster.IPV4_LOOPBACK, 2);
        String peer = "http://127.0.0.1:" + ports[1];
        Run run = gantry("server", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", "https://127.0.0.1:" + ports[0],
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer);
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.output()).contains("--listen-client-urls https://127.0.0.1:", ": https needs --cert-file and "
                + "--key-file (or --auto-tls)");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void aTakenPeerPortIsRefusedAtOnce() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            String peer = "http://127.0.0.1:" + taken.getLocalPort();
            Run run = gantry("server", "--data-dir", dir.resolve("data").toString(),
                    "--listen-client-urls", "http://127.0.0.1:" + Cluster.freePorts(Cluster.IPV4_LOOPBACK, 1)[0],
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer);
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.output()).contains("--listen-peer-urls: cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    private Run gantry(String... args) throws IOException, InterruptedException {
        // The harness's launcher command is `bin/gantry server`: keep the launcher, pass our own subcommand.
        List<String> command = new ArrayList<>(Implementation.GANTRY.command().subList(0, 1));
        command.addAll(List.of(args));
        Path out = dir.resolve("out.log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("bin/gantry did not exit within 60 s: " + Files.readString(out));
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }
}
