package dev.gantry.kv.cluster;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** etcd-style URL flags: comma-separated {@code http://host:port}, IPv6 hosts in brackets ({@code http://[::1]:2379}). */
public final class Urls {
    private Urls() {
    }

    public static List<URI> parseList(String flag, String value) {
        List<URI> urls = new ArrayList<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                urls.add(parse(flag, part.trim()));
            }
        }
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("--" + flag + " must list at least one URL");
        }
        return urls;
    }

    public static URI parse(String flag, String value) {
        try {
            URI uri = new URI(value);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("--" + flag + ": '" + value + "' must start with http:// or https://");
            }
            if (uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException("--" + flag + ": '" + value + "' must name a host and a port, e.g. http://127.0.0.1:2379");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--" + flag + ": '" + value + "' is not a URL: " + e.getReason());
        }
    }

    public static String join(List<URI> urls) {
        return urls.stream().map(URI::toString).collect(Collectors.joining(","));
    }

    /** The host to bind or dial, without IPv6 brackets. */
    public static String host(URI uri) {
        String host = uri.getHost();
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    /** {@code host:port} as gRPC targets want it (IPv6 in brackets). */
    public static String hostPort(URI uri) {
        return uri.getHost() + ":" + uri.getPort();
    }

    public static InetSocketAddress socketAddress(URI uri) {
        return new InetSocketAddress(host(uri), uri.getPort());
    }
}
