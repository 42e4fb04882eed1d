package dev.gantry.kv.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

/**
 * One channel per member, and which one calls go to now. A call that finds its member unavailable moves every
 * later call to the next one, as etcd's clients do.
 */
final class Endpoints implements AutoCloseable {
    private final List<String> urls;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final AtomicInteger current = new AtomicInteger();

    /** @param interceptors run on every call (the auth token's) */
    Endpoints(List<String> urls, List<ClientInterceptor> interceptors) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("no endpoints given");
        }
        this.urls = List.copyOf(urls);
        for (String url : urls) {
            URI uri = parse(url);
            channels.add(NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort())
                    .usePlaintext()
                    .maxInboundMessageSize(64 << 20)
                    .keepAliveTime(30, TimeUnit.SECONDS)
                    .intercept(interceptors)
                    .build());
        }
        // Spread clients over the members instead of all starting on the first.
        current.set(Math.floorMod(System.identityHashCode(this), urls.size()));
    }

    static List<String> split(String endpoints) {
        return Arrays.stream(endpoints.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static URI parse(String url) {
        URI uri = URI.create(url.contains("://") ? url : "http://" + url);
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("endpoint '" + url + "' is not http://host:port");
        }
        return uri;
    }

    /** The position calls go to now; pass it back to {@link #failed} so concurrent failures move on once. */
    int index() {
        return current.get();
    }

    ManagedChannel channel(int index) {
        return channels.get(index);
    }

    String url(int index) {
        return urls.get(index);
    }

    void failed(int index) {
        current.compareAndSet(index, (index + 1) % channels.size());
    }

    int size() {
        return channels.size();
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
    }
}
