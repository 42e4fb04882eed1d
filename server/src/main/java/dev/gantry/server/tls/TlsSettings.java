package dev.gantry.server.tls;

import java.net.URI;
import java.util.List;

import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.tls.Credentials;

/**
 * The TLS checks {@code gantry server} makes before anything starts, and the Quarkus settings that put its HTTP
 * listener (REST API, health, metrics, console) on the client side's TLS: the same certificate, and with client
 * certificates required there too when the etcd listener requires them ({@link HttpsClientAuth}). The gRPC listener
 * is {@link GrpcServerTls}.
 */
public final class TlsSettings {
    /** The name of the TLS registry configuration the HTTP listener uses. */
    private static final String NAME = "gantry-client";

    private TlsSettings() {
    }

    /**
     * Checks both sides' TLS files (and makes auto-tls certificates) and sets the HTTP listener's TLS properties.
     *
     * @param http the HTTP listener's URL ({@code --listen-http-urls}): https exactly when the client side has TLS
     * @throws IllegalArgumentException with a one-line message naming the flag and file
     */
    public static void apply(MemberConfig config, URI http) {
        Credentials client = config.clientCredentials();
        config.clientTls().checkUrls("listen-http-urls", List.of(http));
        config.peerCredentials();
        if (client == null) {
            return;
        }
        String store = "quarkus.tls." + NAME;
        System.setProperty(store + ".key-store.pem.0.cert", client.certFile().toString());
        System.setProperty(store + ".key-store.pem.0.key", client.keyFile().toString());
        System.setProperty("quarkus.http.tls-configuration-name", NAME);
        if (client.verifiesClients()) {
            // the CA of client certificates; requiring them is HttpsClientAuth's
            System.setProperty(store + ".trust-store.pem.certs", client.trustedCaFile().toString());
        }
        // HTTPS only, on the URL's port: the plaintext listener is not opened at all.
        System.setProperty("quarkus.http.ssl-port", String.valueOf(http.getPort()));
        System.setProperty("quarkus.http.insecure-requests", "disabled");
    }
}
