package dev.gantry.it.cluster;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One member of a {@link Cluster}: its name, ports, directories and, while it runs, its OS process.
 * Identity (name, ports, data dir) survives restarts; so does its gRPC channel, which reconnects by itself.
 */
public final class Member {

    private static final int LOG_TAIL_BYTES = 64 * 1024;

    private final String name;
    /** The loopback address every port is on: {@code 127.0.0.1}, or {@code ::1} for IPv6 clusters. */
    private final String host;
    private final int clientPort;
    private final int peerPort;
    private final int httpPort;
    private final Path dir;
    private final ClusterTls tls;
    /** The OS group its process runs in, 0 when it runs in the test's (see {@link Cluster#startIsolatable}). */
    private final int groupId;
    private final ManagedChannel channel;
    private volatile Process process;
    private volatile long id;
    /** {@code --initial-cluster} and {@code --initial-cluster-state} of its first start (ignored by later ones). */
    private volatile String initialCluster;
    private volatile String clusterState = "new";

    Member(String name, String host, int clientPort, int peerPort, int httpPort, Path dir, ClusterTls tls, int groupId) {
        this.name = name;
        this.groupId = groupId;
        this.host = host;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.httpPort = httpPort;
        this.dir = dir;
        this.tls = tls;
        this.channel = NettyChannelBuilder.forAddress(host, clientPort, tls.channelCredentials())
                .maxInboundMessageSize(Integer.MAX_VALUE)
                .build();
    }

    public String name() {
        return name;
    }

    /** etcd's member ID, as {@code ResponseHeader.member_id} reports it; 0 until the member has been ready once. */
    public long id() {
        return id;
    }

    void id(long id) {
        this.id = id;
    }

    void bootstrap(String initialCluster, String clusterState) {
        this.initialCluster = initialCluster;
        this.clusterState = clusterState;
    }

    String initialCluster() {
        return initialCluster;
    }

    String clusterState() {
        return clusterState;
    }

    public String clientUrl() {
        return url(clientPort);
    }

    public String peerUrl() {
        return url(peerPort);
    }

    /** Gantry's HTTP listener (health, REST); etcd members do not use it. */
    public String httpUrl() {
        return url(httpPort);
    }

    /** Every port it listens on: client, peer and (Gantry's) HTTP. */
    public List<Integer> ports() {
        return List.of(clientPort, peerPort, httpPort);
    }

    /**
     * The OS group (gid) its process runs in, which no other process on this host shares, so that a firewall can
     * tell its connections apart; 0 unless the cluster was {@link Cluster#startIsolatable started isolatable}.
     */
    public int groupId() {
        return groupId;
    }

    /** etcd-style URLs put IPv6 hosts in brackets: {@code http://[::1]:2379}; https when the cluster has TLS. */
    private String url(int port) {
        return tls.scheme() + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** How this member's cluster secures its connections. */
    public ClusterTls tls() {
        return tls;
    }

    public Path dataDir() {
        return dir.resolve("data");
    }

    /** Everything the member's processes wrote to stdout and stderr, across restarts. */
    public Path logFile() {
        return dir.resolve(name + ".log");
    }

    /** Channel to the member's client URL (with the cluster's TLS); usable across restarts (see {@link Cluster#restart}). */
    public ManagedChannel channel() {
        return channel;
    }

    public boolean isRunning() {
        Process current = process;
        return current != null && current.isAlive();
    }

    /** The running (or last) process of this member. */
    public Optional<ProcessHandle> process() {
        return Optional.ofNullable(process).map(Process::toHandle);
    }

    Process currentProcess() {
        return process;
    }

    void process(Process process) {
        this.process = process;
    }

    Path dir() {
        return dir;
    }

    /** The last {@code lines} lines of the member's log, headed by the member's name and log path. */
    public String logTail(int lines) {
        String header = "---- last " + lines + " lines of " + name + " (" + logFile() + ") ----\n";
        if (!Files.exists(logFile())) {
            return header + "(no log)\n";
        }
        try (RandomAccessFile file = new RandomAccessFile(logFile().toFile(), "r")) {
            long start = Math.max(0, file.length() - LOG_TAIL_BYTES);
            byte[] bytes = new byte[(int) (file.length() - start)];
            file.seek(start);
            file.readFully(bytes);
            List<String> all = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n"));
            return header + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + logFile(), e);
        }
    }

    @Override
    public String toString() {
        return name + "(" + clientUrl() + ")";
    }
}
