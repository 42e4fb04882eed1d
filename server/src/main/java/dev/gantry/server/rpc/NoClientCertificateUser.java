package dev.gantry.server.rpc;

import jakarta.enterprise.context.ApplicationScoped;

import io.grpc.ServerCall;
import io.quarkus.arc.DefaultBean;

/** Without {@code --client-cert-auth}: a certificate names no user, only tokens do. */
@DefaultBean
@ApplicationScoped
public class NoClientCertificateUser implements ClientCertificateUser {
    @Override
    public String userOf(ServerCall<?, ?> call) {
        return null;
    }
}
