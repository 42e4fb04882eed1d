package dev.gantry.kv.raft;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.grpc.GrpcUtil;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslContext;

import dev.gantry.kv.tls.Credentials;

/**
 * The peer side's TLS ({@code --peer-cert-file ...}, {@code https://} peer URLs) for everything on the peer port:
 * Ratis's own gRPC (its server, the leader's appenders, the Raft client) and Gantry's {@link Forwarding} service in
 * the same server, whose channels are built here with the same TLS. Ratis couples the two directions of mutual TLS:
 * when the server requires peer certificates, members present theirs.
 */
final class PeerTls {
    private final GrpcTlsConfig config;
    private final SslContext forClients;

    private PeerTls(GrpcTlsConfig config) {
        this.config = config;
        this.forClients = config == null ? null : GrpcUtil.buildSslContextForClient(config);
    }

    /** TLS with these credentials; plaintext when null. */
    static PeerTls of(Credentials credentials) {
        return new PeerTls(credentials == null ? null
                : new GrpcTlsConfig(credentials.keyManager(), credentials.trustManager(), credentials.verifiesClients()));
    }

    /** Ratis parameters (for a server or a client) that carry the TLS configuration, if any. */
    Parameters parameters() {
        Parameters parameters = new Parameters();
        if (config != null) {
            GrpcConfigKeys.TLS.setConf(parameters, config);
        }
        return parameters;
    }

    /** A channel to a member's peer port ({@code host:port}). */
    ManagedChannel channel(String address) {
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(address).maxInboundMessageSize(64 << 20);
        return (forClients == null ? builder.usePlaintext() : builder.sslContext(forClients)).build();
    }
}
