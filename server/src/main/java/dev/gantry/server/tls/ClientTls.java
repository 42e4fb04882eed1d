package dev.gantry.server.tls;

import java.util.Optional;

import jakarta.inject.Singleton;

import dev.gantry.kv.client.TlsOptions;
import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.tls.Credentials;
import dev.gantry.server.KvMemberProducer;

/**
 * This server's client-side TLS ({@code --cert-file --key-file --trusted-ca-file --client-cert-auth --auto-tls}), read
 * once: for the etcd gRPC listener ({@link GrpcServerTls}) and for Gantry's own services, which connect to this member
 * as any etcd client does. The HTTP listener gets the same files from {@link TlsSettings}.
 */
@Singleton
public class ClientTls {
    private final Credentials credentials;

    ClientTls() {
        this.credentials = MemberConfig.parse(KvMemberProducer.flags()).clientCredentials();
    }

    /** The loaded files and managers; empty when clients connect in plaintext. */
    public Optional<Credentials> credentials() {
        return Optional.ofNullable(credentials);
    }

    /** How Gantry's own services connect to this member's client URLs. */
    public TlsOptions clientOptions() {
        return credentials == null ? TlsOptions.NONE : credentials.clientOptions();
    }
}
