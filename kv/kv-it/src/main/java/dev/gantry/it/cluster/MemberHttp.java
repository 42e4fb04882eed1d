package dev.gantry.it.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A member's HTTP endpoints as operators scrape them: {@code /metrics} (Prometheus text) and etcd's
 * {@code /health}. etcd serves them on its client port, Gantry on its HTTP port; both over HTTPS with the cluster's
 * TLS ({@link ClusterTls}).
 */
public final class MemberHttp {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private MemberHttp() {
    }

    public static String metrics(Cluster cluster, Member member) {
        return get(cluster, base(cluster, member) + "/metrics");
    }

    /** A series' value (name with its labels, as printed), if the member reports it. */
    public static Optional<Double> metric(Cluster cluster, Member member, String series) {
        return value(metrics(cluster, member), series);
    }

    /** A series' value in Prometheus text, if it is there. */
    public static Optional<Double> value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Optional.of(Double.parseDouble(m.group(1))) : Optional.empty();
    }

    /** The {@code /health} body without spaces, e.g. {@code {"health":"true"}}. */
    public static String health(Cluster cluster, Member member) {
        return get(cluster, base(cluster, member) + "/health").replace(" ", "");
    }

    private static String base(Cluster cluster, Member member) {
        return cluster.implementation() == Implementation.ETCD ? member.clientUrl() : member.httpUrl();
    }

    private static String get(Cluster cluster, String url) {
        HttpClient http = cluster.tls().enabled()
                ? HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(cluster.tls().sslContext()).build()
                : HTTP;
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new IllegalStateException("GET " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
