package dev.gantry.kv.tls;

import java.nio.file.Path;

import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;

import dev.gantry.kv.client.TlsOptions;

/**
 * One side's TLS as loaded and checked at start ({@link TransportSecurity#load}): the files (for auto-tls, the ones
 * it made), and the key and trust managers built from them.
 *
 * @param trustedCaFile   the CA that signs the other ends' certificates; null: the JDK's trusted CAs
 * @param verifiesClients whether this side's server requires client certificates signed by that CA
 * @param selfSigned      made by auto-tls: the other ends' certificates are accepted without verification (etcd)
 * @param keyManager      presents {@code certFile} with {@code keyFile}
 * @param trustManager    verifies the other end (accepts any certificate when {@code selfSigned})
 */
public record Credentials(Path certFile, Path keyFile, Path trustedCaFile, boolean verifiesClients, boolean selfSigned,
                          KeyManager keyManager, TrustManager trustManager) {

    /**
     * How a client of this member (Gantry's own scheduler and API) connects to it: trusting the CA, or for a
     * self-signed certificate that certificate itself, and presenting this side's certificate when client
     * certificates are required.
     */
    public TlsOptions clientOptions() {
        Path trusted = selfSigned ? certFile : trustedCaFile;
        return verifiesClients ? new TlsOptions(trusted, certFile, keyFile) : new TlsOptions(trusted, null, null);
    }
}
