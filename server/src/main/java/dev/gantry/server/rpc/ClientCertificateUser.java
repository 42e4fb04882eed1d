package dev.gantry.server.rpc;

import io.grpc.ServerCall;

/**
 * The hook for etcd's {@code --client-cert-auth}: with it on, a call that brings no token acts as the user its
 * verified TLS client certificate names in its Common Name (etcd's {@code AuthInfoFromTLS}):
 * {@link dev.gantry.server.tls.CertificateCommonName}. A token, when there is one, always wins.
 */
public interface ClientCertificateUser {
    /** The user name the call's client certificate gives, or null (no certificate, or client-cert-auth off). */
    String userOf(ServerCall<?, ?> call);
}
