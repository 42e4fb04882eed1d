package dev.gantry.server.tls;

import javax.net.ssl.SSLException;

import jakarta.inject.Singleton;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;

import dev.gantry.kv.tls.Credentials;

/**
 * TLS on the etcd gRPC listener (Quarkus's separate grpc-java server) when the client URL is {@code https://}: the
 * member's certificate, HTTP/2 negotiated by ALPN (what etcdctl, grpc-go and jetcd require), and with
 * {@code --client-cert-auth} (or a trusted CA file, as in etcd) client certificates signed by the CA, without which
 * the handshake fails. Set on the Netty builder directly: Quarkus's own gRPC TLS settings take a trust store only as
 * a password-protected JKS or PKCS#12 file, not etcd's PEM CA file. Quarkus leaves the builder's TLS alone as long as
 * its own {@code quarkus.grpc.server.ssl.*} is unset.
 */
@Singleton
public class GrpcServerTls implements ServerBuilderCustomizer<VertxServerBuilder> {
    private final ClientTls tls;

    GrpcServerTls(ClientTls tls) {
        this.tls = tls;
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        tls.credentials().ifPresent(credentials -> builder.nettyBuilder().sslContext(sslContext(credentials)));
    }

    private static io.netty.handler.ssl.SslContext sslContext(Credentials credentials) {
        SslContextBuilder context = GrpcSslContexts.configure(SslContextBuilder.forServer(credentials.keyManager()));
        if (credentials.verifiesClients()) {
            context.trustManager(credentials.trustManager()).clientAuth(ClientAuth.REQUIRE);
        }
        try {
            return context.build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for the etcd gRPC listener: " + e.getMessage(), e);
        }
    }
}
