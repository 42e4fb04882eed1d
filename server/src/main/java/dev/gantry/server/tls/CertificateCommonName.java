package dev.gantry.server.tls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.gantry.server.rpc.ClientCertificateUser;
import io.grpc.Grpc;
import io.grpc.ServerCall;

/**
 * With {@code --client-cert-auth}, etcd takes the common name of a client's verified certificate as its user name
 * when the call carries no token: the same here. Without it (no client certificates are verified) nobody is named.
 */
@ApplicationScoped
public class CertificateCommonName implements ClientCertificateUser {
    private final boolean verifiesClients;

    @Inject
    public CertificateCommonName(ClientTls tls) {
        this.verifiesClients = tls.credentials().map(c -> c.verifiesClients()).orElse(false);
    }

    @Override
    public String userOf(ServerCall<?, ?> call) {
        if (!verifiesClients) {
            return null;
        }
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? commonName(x509) : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    static String commonName(X509Certificate certificate) {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }
}
