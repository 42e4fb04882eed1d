package dev.gantry.kv.client;

import java.nio.file.Path;
import java.security.GeneralSecurityException;

import javax.net.ssl.SSLContext;

import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;

/**
 * How a client secures its connections to {@code https://} endpoints, with etcdctl's flags: {@code --cacert} (the CA
 * that signed the servers' certificates; null: the JDK's trusted CAs) and {@code --cert}/{@code --key} (a client
 * certificate, for servers that require one: {@code --client-cert-auth}; both or neither). PEM files, read by
 * {@link PemFiles}.
 */
public record TlsOptions(Path caCert, Path cert, Path key) {
    /** No files: {@code https://} endpoints are verified against the JDK's trusted CAs, with no client certificate. */
    public static final TlsOptions NONE = new TlsOptions(null, null, null);

    public TlsOptions {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--cert and --key go together: give both, or neither");
        }
    }

    /** Whether any file was given: then endpoints without a scheme are {@code https://}, as in etcdctl. */
    public boolean isEmpty() {
        return caCert == null && cert == null;
    }

    /**
     * Reads the files and checks them (readable, PEM, the key is the certificate's), so that a bad file is reported
     * at once rather than at the first call.
     *
     * @throws IllegalArgumentException naming the flag and the file
     */
    public void check() {
        trustManagers();
        keyManagers();
    }

    /** For HTTPS clients ({@link java.net.http.HttpClient}). */
    public SSLContext sslContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers(), trustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JDK: " + e.getMessage(), e);
        }
    }

    /** For gRPC channels. */
    ChannelCredentials channelCredentials() {
        TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder().trustManager(trustManagers());
        javax.net.ssl.KeyManager[] keys = keyManagers();
        if (keys != null) {
            credentials.keyManager(keys);
        }
        return credentials.build();
    }

    private javax.net.ssl.TrustManager[] trustManagers() {
        try {
            return PemFiles.trustManagers(caCert);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cacert " + e.getMessage(), e);
        }
    }

    private javax.net.ssl.KeyManager[] keyManagers() {
        if (cert == null) {
            return null;
        }
        try {
            return PemFiles.keyManagers(cert, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cert/--key " + e.getMessage(), e);
        }
    }
}
