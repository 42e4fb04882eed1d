package dev.gantry.kv.tls;

import java.net.URI;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;

import dev.gantry.kv.client.PemFiles;
import dev.gantry.kv.cluster.Urls;

/**
 * One side's TLS, with etcd's flags and meaning: the client side ({@code --cert-file --key-file --trusted-ca-file
 * --client-cert-auth --auto-tls}) or the peer side (the same with {@code --peer-} in front). The side is on when a
 * certificate is given or {@code --auto-tls} asks for a self-signed one (a given certificate wins, as in etcd);
 * its URLs must then be {@code https://}, and {@code http://} otherwise.
 *
 * <p>As in etcd, a trusted CA file alone already makes the server require client certificates signed by it;
 * {@code --client-cert-auth} says so explicitly and needs the CA file. Self-signed certificates are trusted without
 * verification by the members that make them (etcd: {@code InsecureSkipVerify}), so they cannot be combined with
 * client certificate checks: nothing signed them.
 */
public record TransportSecurity(Side side, Path certFile, Path keyFile, Path trustedCaFile, boolean clientCertAuth,
                                boolean autoTls) {

    /** Off: plaintext. */
    public static TransportSecurity off(Side side) {
        return new TransportSecurity(side, null, null, null, false, false);
    }

    public enum Side {
        CLIENT("", "client-cert-auth", "auto-tls", "client", "advertise-client-urls", "clients"),
        PEER("peer-", "peer-client-cert-auth", "peer-auto-tls", "peer", "initial-advertise-peer-urls", "peers");

        private final String prefix;
        private final String clientCertAuthFlag;
        private final String autoTlsFlag;
        /** Where auto-tls keeps its certificate: {@code <data-dir>/fixtures/<name>}, as etcd. */
        private final String fixtures;
        private final String advertiseFlag;
        private final String others;

        Side(String prefix, String clientCertAuthFlag, String autoTlsFlag, String fixtures, String advertiseFlag,
             String others) {
            this.prefix = prefix;
            this.clientCertAuthFlag = clientCertAuthFlag;
            this.autoTlsFlag = autoTlsFlag;
            this.fixtures = fixtures;
            this.advertiseFlag = advertiseFlag;
            this.others = others;
        }

        String certFileFlag() {
            return prefix + "cert-file";
        }

        String keyFileFlag() {
            return prefix + "key-file";
        }

        String trustedCaFileFlag() {
            return prefix + "trusted-ca-file";
        }
    }

    /** The flags that take no value ({@code --client-cert-auth}, or {@code --client-cert-auth=false}), as in etcd. */
    public static final Set<String> BOOLEAN_FLAGS = Set.of("client-cert-auth", "auto-tls", "peer-client-cert-auth",
            "peer-auto-tls");

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_USAGE = "2.5.29.37.0";

    public TransportSecurity {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException(flag(certFile == null ? side.certFileFlag() : side.keyFileFlag())
                    + " is missing: " + flag(side.certFileFlag()) + " and " + flag(side.keyFileFlag()) + " go together");
        }
        if (clientCertAuth && trustedCaFile == null) {
            throw new IllegalArgumentException(flag(side.clientCertAuthFlag) + " needs " + flag(side.trustedCaFileFlag())
                    + ": the CA whose signature a client certificate must carry");
        }
        if (certFile == null && trustedCaFile != null && !autoTls) {
            throw new IllegalArgumentException(flag(side.trustedCaFileFlag()) + " needs " + flag(side.certFileFlag())
                    + " and " + flag(side.keyFileFlag()) + ": the certificate this member serves with");
        }
        if (certFile == null && autoTls && (trustedCaFile != null || clientCertAuth)) {
            throw new IllegalArgumentException(flag(side.autoTlsFlag) + " makes a self-signed certificate that no CA "
                    + "signed, so it cannot be combined with " + flag(side.clientCertAuthFlag) + " or "
                    + flag(side.trustedCaFileFlag()) + ": give " + flag(side.certFileFlag()) + " and "
                    + flag(side.keyFileFlag()) + " signed by that CA instead");
        }
    }

    /** The side's flags out of etcd-style {@code flag → value} (names without dashes); absent flags are off. */
    public static TransportSecurity parse(Side side, Map<String, String> flags) {
        return new TransportSecurity(side,
                path(flags.get(side.certFileFlag())),
                path(flags.get(side.keyFileFlag())),
                path(flags.get(side.trustedCaFileFlag())),
                bool(side.clientCertAuthFlag, flags.get(side.clientCertAuthFlag)),
                bool(side.autoTlsFlag, flags.get(side.autoTlsFlag)));
    }

    /** Whether this side speaks TLS. */
    public boolean enabled() {
        return certFile != null || autoTls;
    }

    /** Whether the certificate is made at start ({@code --auto-tls} without a certificate). */
    public boolean selfSigned() {
        return autoTls && certFile == null;
    }

    /** Whether the server requires client certificates signed by the trusted CA (etcd: a CA file implies it). */
    public boolean verifiesClients() {
        return trustedCaFile != null || clientCertAuth;
    }

    /**
     * Checks that the side's URLs agree with it: {@code https://} exactly when TLS is on.
     *
     * @param urlFlag the URL flag, for the message ({@code listen-client-urls})
     */
    public void checkUrls(String urlFlag, List<URI> urls) {
        for (URI url : urls) {
            boolean https = "https".equals(url.getScheme());
            if (https && !enabled()) {
                throw new IllegalArgumentException(flag(urlFlag) + " " + url + ": https needs " + flag(side.certFileFlag())
                        + " and " + flag(side.keyFileFlag()) + " (or " + flag(side.autoTlsFlag) + ")");
            }
            if (!https && enabled()) {
                throw new IllegalArgumentException(flag(urlFlag) + " " + url + ": TLS is on ("
                        + flag(certFile != null ? side.certFileFlag() : side.autoTlsFlag) + "), so it must be https://");
            }
        }
    }

    /**
     * Reads and checks the side's files, or for {@code --auto-tls} makes (once) a self-signed certificate under
     * {@code <dataDir>/fixtures/} that names the hosts of the side's URLs. Null when the side is off.
     *
     * @param listen     the side's listen URLs
     * @param advertised the URLs others reach this member at: a given certificate must name their hosts
     * @throws IllegalArgumentException naming the flag and file: unreadable, not PEM, a key that is not the
     *                                  certificate's, an expired certificate, one not allowed for its use or not
     *                                  for the advertised hosts
     */
    public Credentials load(Path dataDir, List<URI> listen, List<URI> advertised) {
        if (!enabled()) {
            return null;
        }
        Path cert = certFile;
        Path key = keyFile;
        if (selfSigned()) {
            List<String> hosts = new ArrayList<>();
            listen.forEach(url -> hosts.add(Urls.host(url)));
            advertised.forEach(url -> hosts.add(Urls.host(url)));
            SelfSignedCertificate made = SelfSignedCertificate.ensure(dataDir.resolve("fixtures").resolve(side.fixtures), hosts);
            cert = made.certFile();
            key = made.keyFile();
        }
        Path certPath = cert;
        Path keyPath = key;
        X509Certificate leaf = read(side.certFileFlag(), () -> PemFiles.certificates(certPath).getFirst());
        checkUsable(leaf, cert);
        if (!selfSigned()) {
            checkNames(leaf, cert, advertised);
        }
        KeyManager[] keys = read(side.keyFileFlag(), () -> PemFiles.keyManagers(certPath, keyPath));
        TrustManager[] trust = selfSigned()
                ? new TrustManager[] {new AnyCertificate()}
                : read(side.trustedCaFileFlag(), () -> PemFiles.trustManagers(trustedCaFile));
        return new Credentials(cert, key, trustedCaFile, verifiesClients(), selfSigned(), keys[0], trust[0]);
    }

    /**
     * A certificate in its validity period, allowed for TLS servers, and for TLS clients as well when client
     * certificates are required: members then present theirs to each other, and Gantry's own services present
     * the client-side one to the member they run in (as etcd's gateway does).
     */
    private void checkUsable(X509Certificate cert, Path file) {
        String flag = flag(side.certFileFlag());
        try {
            cert.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new IllegalArgumentException(flag + " " + file + ": the certificate expired on " + cert.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new IllegalArgumentException(flag + " " + file + ": the certificate is not valid before "
                    + cert.getNotBefore().toInstant());
        }
        List<String> usages;
        try {
            usages = cert.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException(flag + " " + file + ": unreadable extendedKeyUsage (" + e.getMessage() + ")");
        }
        if (usages == null || usages.contains(ANY_USAGE)) {
            return;
        }
        if (!usages.contains(SERVER_AUTH)) {
            throw new IllegalArgumentException(flag + " " + file + ": the certificate is not for TLS servers "
                    + "(its extendedKeyUsage lacks serverAuth)");
        }
        if (verifiesClients() && !usages.contains(CLIENT_AUTH)) {
            String who = side == Side.PEER ? "members present it to each other" : "Gantry's own services present it to this member";
            throw new IllegalArgumentException(flag + " " + file + ": with client certificates required, " + who
                    + ", so it must allow TLS clients too (extendedKeyUsage serverAuth, clientAuth)");
        }
    }

    /**
     * The certificate must name every advertised host: the members' own services, the peers and every client that
     * verifies host names (etcdctl, gRPC clients) reach this member there, and refuse a certificate for other names.
     */
    private void checkNames(X509Certificate cert, Path file, List<URI> advertised) {
        List<String> names = HostNames.of(cert);
        for (URI url : advertised) {
            if (!HostNames.matches(names, Urls.host(url))) {
                throw new IllegalArgumentException(flag(side.certFileFlag()) + " " + file + ": the certificate is not for "
                        + Urls.host(url) + ", the host of " + flag(side.advertiseFlag) + " " + url + ", so " + side.others
                        + " would refuse it; it is for " + (names.isEmpty() ? "no host (no subjectAltName)" : names));
            }
        }
    }

    private interface Read<T> {
        T get();
    }

    /** Runs a read of the side's files, prefixing a failure (which names the file) with the flag. */
    private static <T> T read(String flag, Read<T> read) {
        try {
            return read.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag(flag) + " " + e.getMessage(), e);
        }
    }

    private static String flag(String name) {
        return "--" + name;
    }

    private static Path path(String value) {
        return value == null || value.isBlank() ? null : Path.of(value.trim());
    }

    private static boolean bool(String flag, String value) {
        if (value == null) {
            return false;
        }
        return switch (value.trim()) {
            case "true", "" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(flag(flag) + " is true or false, not '" + value + "'");
        };
    }
}
