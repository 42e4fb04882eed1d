package dev.gantry.it.cluster;

import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

import dev.gantry.kv.client.PemFiles;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;

/**
 * How a {@link Cluster}'s members secure their connections, with etcd's server flags (so it means the same for Gantry
 * and for the real etcd), and how the harness's own clients (its gRPC channels, {@link Etcdctl}, {@link MemberHttp})
 * then connect: {@link #NONE} (plain http, the default), {@link #mutual} (certificates signed by a CA, client
 * certificates required on both sides) or {@link #auto} (self-signed certificates made by the members; clients skip
 * verification).
 *
 * @param caCert     the CA that signed every certificate; null for none (plaintext or auto)
 * @param memberCert the certificate (and {@code memberKey}) each member serves and presents to its peers: valid for
 *                   localhost and the loopback addresses, for TLS servers and clients
 * @param clientCert the certificate (and {@code clientKey}) the harness's clients present
 * @param selfSigned {@code --auto-tls --peer-auto-tls} instead of files
 */
public record ClusterTls(Path caCert, Path memberCert, Path memberKey, Path clientCert, Path clientKey, boolean selfSigned) {

    public static final ClusterTls NONE = new ClusterTls(null, null, null, null, null, false);

    /**
     * Clients and members speak TLS with certificates signed by {@code caCert}, and every server requires a client
     * certificate signed by it: {@code --client-cert-auth} and {@code --peer-client-cert-auth}.
     */
    public static ClusterTls mutual(Path caCert, Path memberCert, Path memberKey, Path clientCert, Path clientKey) {
        return new ClusterTls(caCert, memberCert, memberKey, clientCert, clientKey, false);
    }

    /** {@code --auto-tls --peer-auto-tls}: every member makes its own self-signed certificates. */
    public static ClusterTls auto() {
        return new ClusterTls(null, null, null, null, null, true);
    }

    public boolean enabled() {
        return selfSigned || memberCert != null;
    }

    /** {@code https} or {@code http}, for client, peer and HTTP URLs alike. */
    String scheme() {
        return enabled() ? "https" : "http";
    }

    /** The server flags, after the common ones. */
    List<String> serverFlags() {
        if (selfSigned) {
            return List.of("--auto-tls", "--peer-auto-tls");
        }
        if (!enabled()) {
            return List.of();
        }
        return List.of(
                "--cert-file", memberCert.toString(), "--key-file", memberKey.toString(),
                "--trusted-ca-file", caCert.toString(), "--client-cert-auth",
                "--peer-cert-file", memberCert.toString(), "--peer-key-file", memberKey.toString(),
                "--peer-trusted-ca-file", caCert.toString(), "--peer-client-cert-auth");
    }

    /**
     * etcdctl's global flags for this cluster. etcdctl 3.4 skips verification only with
     * {@code --insecure-transport=false} as well: without it, {@code --insecure-skip-tls-verify} alone is ignored.
     */
    List<String> etcdctlFlags() {
        if (selfSigned) {
            return List.of("--insecure-transport=false", "--insecure-skip-tls-verify");
        }
        if (!enabled()) {
            return List.of();
        }
        List<String> flags = new ArrayList<>(List.of("--cacert=" + caCert));
        if (clientCert != null) {
            flags.addAll(List.of("--cert=" + clientCert, "--key=" + clientKey));
        }
        return flags;
    }

    /** For the harness's gRPC channels. */
    ChannelCredentials channelCredentials() {
        if (!enabled()) {
            return InsecureChannelCredentials.create();
        }
        TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder().trustManager(trustManagers());
        if (clientCert != null) {
            credentials.keyManager(PemFiles.keyManagers(clientCert, clientKey));
        }
        return credentials.build();
    }

    /** For HTTPS requests ({@link MemberHttp}). */
    SSLContext sslContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            KeyManager[] keys = clientCert == null ? null : PemFiles.keyManagers(clientCert, clientKey);
            context.init(keys, trustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private TrustManager[] trustManagers() {
        return selfSigned ? new TrustManager[] {new TrustEverything()} : PemFiles.trustManagers(caCert);
    }

    /** As etcdctl's {@code --insecure-skip-tls-verify}: self-signed certificates have no CA to check against. */
    private static final class TrustEverything extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
