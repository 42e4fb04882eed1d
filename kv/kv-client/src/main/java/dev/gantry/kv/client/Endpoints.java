package dev.gantry.kv.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

/**
 * One channel per member, and which one calls go to now. A call that finds its member unavailable moves every
 * later call to the next one, as etcd's clients do. {@code https://} endpoints get TLS with the {@link TlsOptions},
 * {@code http://} ones plaintext; an endpoint without a scheme is https when TLS files were given, as in etcdctl.
 */
final class Endpoints implements AutoCloseable {
    private final List<String> urls;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final AtomicInteger current = new AtomicInteger();

    /** @param interceptors run on every call (the auth token's) */
    Endpoints(List<String> urls, TlsOptions tls, List<ClientInterceptor> interceptors) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("no endpoints given");
        }
        this.urls = List.copyOf(urls);
        ChannelCredentials credentials = null;
        for (String url : urls) {
            URI uri = parse(url, tls);
            NettyChannelBuilder builder;
            if (uri.getScheme().equals("https")) {
                credentials = credentials != null ? credentials : tls.channelCredentials();
                builder = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort(), credentials);
            } else {
                builder = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext();
            }
            channels.add(builder
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

    private static URI parse(String url, TlsOptions tls) {
        URI uri = URI.create(url.contains("://") ? url : (tls.isEmpty() ? "http://" : "https://") + url);
        boolean http = "http".equals(uri.getScheme());
        if (!http && !"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("endpoint '" + url + "' is not http://host:port or https://host:port");
        }
        if (http && !tls.isEmpty()) {
            throw new IllegalArgumentException("endpoint '" + url + "' is plain http, but TLS files (--cacert, --cert) "
                    + "were given: write it https://");
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
