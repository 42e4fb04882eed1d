package dev.gantry.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC connections a run's clients share. As in etcd's benchmark tool, connection {@code i} goes to
 * endpoint {@code i mod endpoints} and client {@code j} uses connection {@code j mod connections}.
 */
final class Connections implements AutoCloseable {

    private final List<ManagedChannel> channels;

    private Connections(List<ManagedChannel> channels) {
        this.channels = channels;
    }

    static Connections open(List<String> endpoints, int count) {
        List<ManagedChannel> channels = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            HostPort endpoint = HostPort.parse(endpoints.get(i % endpoints.size()));
            channels.add(NettyChannelBuilder.forAddress(endpoint.host(), endpoint.port())
                    .usePlaintext()
                    // Answers are handled on the Netty event loop: a client's callback only records a
                    // latency and sends its next request, so a hop to another thread would be pure cost.
                    .directExecutor()
                    // A watcher that fell behind may get many events in one WatchResponse; etcd's Go client
                    // accepts messages up to 2 GiB too (MaxCallRecvMsgSize).
                    .maxInboundMessageSize(Integer.MAX_VALUE)
                    .build());
        }
        return new Connections(channels);
    }

    ManagedChannel forClient(int client) {
        return channels.get(client % channels.size());
    }

    @Override
    public void close() throws InterruptedException {
        channels.forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel channel : channels) {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** {@code 127.0.0.1:2379} or {@code http://127.0.0.1:2379}, as etcdctl's {@code --endpoints} takes them. */
    record HostPort(String host, int port) {
        static HostPort parse(String endpoint) {
            if (endpoint.startsWith("https://")) {
                throw new IllegalArgumentException("TLS endpoints are not supported: " + endpoint);
            }
            String hostPort = endpoint.startsWith("http://") ? endpoint.substring("http://".length()) : endpoint;
            int colon = hostPort.lastIndexOf(':');
            try {
                return new HostPort(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("expected an endpoint host:port, got '" + endpoint + "'");
            }
        }
    }
}
