package dev.gantry.server.tls;

import jakarta.inject.Singleton;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;

/**
 * Client certificates on the HTTPS listener when the etcd listener requires them ({@code --client-cert-auth}, or a
 * trusted CA file): the same rule for the REST API, health and metrics as for the KV. Set here because Quarkus fixes
 * {@code quarkus.http.ssl.client-auth} at build time; the CA comes from the TLS settings ({@link TlsSettings}).
 */
@Singleton
public class HttpsClientAuth implements HttpServerOptionsCustomizer {
    private final ClientTls tls;

    HttpsClientAuth(ClientTls tls) {
        this.tls = tls;
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        tls.credentials().filter(credentials -> credentials.verifiesClients())
                .ifPresent(credentials -> options.setClientAuth(ClientAuth.REQUIRED));
    }
}
