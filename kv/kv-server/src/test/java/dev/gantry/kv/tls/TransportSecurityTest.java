package dev.gantry.kv.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.gantry.kv.client.PemFiles;
import dev.gantry.kv.cluster.MemberConfig;

/**
 * etcd's TLS flags as {@code gantry server} checks them before anything starts: each mistake is refused with one line
 * that names the flag (and file) and what to do, and auto-tls makes its certificate once.
 */
class TransportSecurityTest {
    @TempDir
    Path dir;

    @Test
    void flagCombinationsThatCannotWorkAreRefused() {
        assertThat(refusal(Map.of("cert-file", "c.pem")))
                .isEqualTo("--key-file is missing: --cert-file and --key-file go together");
        assertThat(refusal(Map.of("peer-key-file", "k.pem")))
                .isEqualTo("--peer-cert-file is missing: --peer-cert-file and --peer-key-file go together");
        assertThat(refusal(Map.of("cert-file", "c.pem", "key-file", "k.pem", "client-cert-auth", "true")))
                .startsWith("--client-cert-auth needs --trusted-ca-file");
        assertThat(refusal(Map.of("peer-auto-tls", "true", "peer-client-cert-auth", "true", "peer-trusted-ca-file", "ca.pem")))
                .startsWith("--peer-auto-tls makes a self-signed certificate that no CA signed");
        assertThat(refusal(Map.of("auto-tls", "yes"))).isEqualTo("--auto-tls is true or false, not 'yes'");
    }

    @Test
    void urlsMustBeHttpsExactlyWhenTlsIsOn() {
        assertThat(serveRefusal(Map.of("listen-client-urls", "https://127.0.0.1:2379")))
                .isEqualTo("--listen-client-urls https://127.0.0.1:2379: https needs --cert-file and --key-file (or --auto-tls)");
        assertThat(serveRefusal(Map.of("auto-tls", "true")))
                .isEqualTo("--listen-client-urls http://localhost:2379: TLS is on (--auto-tls), so it must be https://");
        assertThat(serveRefusal(Map.of("listen-peer-urls", "https://127.0.0.1:2380")))
                .startsWith("--listen-peer-urls https://127.0.0.1:2380: https needs --peer-cert-file and --peer-key-file");
        assertThat(serveRefusal(Map.of("listen-peer-urls", "https://127.0.0.1:2380", "peer-auto-tls", "true")))
                .startsWith("--initial-advertise-peer-urls http://localhost:2380: TLS is on (--peer-auto-tls)");
    }

    @Test
    void aSnapshotRestoreTakesHttpsUrlsWithoutCertificates() {
        MemberConfig restore = MemberConfig.parse(Map.of("initial-advertise-peer-urls", "https://10.0.0.1:2380",
                "initial-cluster", "default=https://10.0.0.1:2380", "data-dir", dir.toString()));

        assertThat(restore.advertisePeerUrls()).containsExactly(URI.create("https://10.0.0.1:2380"));
        assertThat(restore.peerTls().enabled()).isFalse();
    }

    @Test
    void unreadableFilesAndAKeyThatIsNotTheCertificatesAreRefused() throws Exception {
        Certificates files = new Certificates(dir);
        Path cert = files.certificate("member", KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth);
        Path key = dir.resolve("member-key.pem");
        Path otherKey = files.certificate("other", KeyPurposeId.id_kp_serverAuth).resolveSibling("other-key.pem");

        assertThat(loadRefusal(dir.resolve("missing.pem"), key, null))
                .isEqualTo("--cert-file " + dir.resolve("missing.pem") + ": no such file");
        assertThat(loadRefusal(cert, otherKey, null))
                .isEqualTo("--key-file " + otherKey + " is not the private key of the certificate in " + cert);
        assertThat(loadRefusal(cert, key, dir.resolve("no-ca.pem")))
                .isEqualTo("--trusted-ca-file " + dir.resolve("no-ca.pem") + ": no such file");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("---------"));
        if (!Files.isReadable(key)) { // root reads anything
            assertThat(loadRefusal(cert, key, null)).isEqualTo("--key-file " + key + ": permission denied");
        }
    }

    @Test
    void aCertificateMustAllowTheUsesItIsPutTo() throws Exception {
        Certificates files = new Certificates(dir);
        Path serverOnly = files.certificate("server-only", KeyPurposeId.id_kp_serverAuth);
        Path clientOnly = files.certificate("client-only", KeyPurposeId.id_kp_clientAuth);
        Path ca = files.certificate("ca", KeyPurposeId.anyExtendedKeyUsage);

        assertThat(new TransportSecurity(TransportSecurity.Side.CLIENT, serverOnly, dir.resolve("server-only-key.pem"),
                null, false, false).load(dir, List.of(), List.of())).isNotNull();
        assertThat(loadRefusal(clientOnly, dir.resolve("client-only-key.pem"), null))
                .endsWith("the certificate is not for TLS servers (its extendedKeyUsage lacks serverAuth)");
        // with client certificates required, members present their own certificate as clients too
        assertThat(refusal(new TransportSecurity(TransportSecurity.Side.PEER, serverOnly, dir.resolve("server-only-key.pem"),
                ca, true, false)))
                .isEqualTo("--peer-cert-file " + serverOnly + ": with client certificates required, members present it to "
                        + "each other, so it must allow TLS clients too (extendedKeyUsage serverAuth, clientAuth)");
    }

    @Test
    void aCertificateMustNameTheHostsThisMemberIsReachedAt() throws Exception {
        Path cert = new Certificates(dir).certificate("member", List.of(new GeneralName(GeneralName.dNSName, "*.example.com"),
                new GeneralName(GeneralName.iPAddress, "10.0.0.1")), KeyPurposeId.id_kp_serverAuth);
        TransportSecurity peer = new TransportSecurity(TransportSecurity.Side.PEER, cert, dir.resolve("member-key.pem"),
                null, false, false);
        List<URI> listen = List.of(URI.create("https://0.0.0.0:2380"));

        assertThat(peer.load(dir, listen, List.of(URI.create("https://10.0.0.1:2380"), URI.create("https://m1.example.com:2380"))))
                .isNotNull();
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> peer.load(dir, listen, List.of(URI.create("https://a.b.example.com:2380")))).getMessage())
                .isEqualTo("--peer-cert-file " + cert + ": the certificate is not for a.b.example.com, the host of "
                        + "--initial-advertise-peer-urls https://a.b.example.com:2380, so peers would refuse it; it is for "
                        + "[DNS:*.example.com, IP:10.0.0.1]");
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> peer.load(dir, listen, List.of(URI.create("https://10.0.0.2:2380")))).getMessage())
                .contains("the certificate is not for 10.0.0.2");
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        Path expired = new Certificates(dir).certificate("expired", Instant.now().minus(Duration.ofDays(2)),
                Instant.now().minus(Duration.ofDays(1)), KeyPurposeId.id_kp_serverAuth);

        assertThat(loadRefusal(expired, dir.resolve("expired-key.pem"), null))
                .startsWith("--cert-file " + expired + ": the certificate expired on ");
    }

    @Test
    void autoTlsMakesACertificateForTheUrlsHostsOnceAndKeepsItsKeyPrivate() throws Exception {
        TransportSecurity auto = TransportSecurity.parse(TransportSecurity.Side.PEER, Map.of("peer-auto-tls", "true"));
        List<URI> urls = List.of(URI.create("https://127.0.0.1:2380"), URI.create("https://node-1.example:2380"));

        Credentials first = auto.load(dir, urls.subList(0, 1), urls.subList(1, 2));
        Credentials again = auto.load(dir, urls.subList(0, 1), urls.subList(1, 2));

        assertThat(first.certFile()).isEqualTo(dir.resolve("fixtures/peer/cert.pem"));
        assertThat(Files.readString(again.certFile())).as("reused").isEqualTo(Files.readString(first.certFile()));
        assertThat(PemFiles.certificates(first.certFile()).getFirst().getSubjectAlternativeNames())
                .extracting(name -> (Object) name.get(1)).containsExactly("127.0.0.1", "node-1.example");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.keyFile()))).isEqualTo("rw-------");
        assertThat(first.selfSigned()).isTrue();
        assertThat(first.trustManager()).as("members trust each other's self-signed certificates").isInstanceOf(AnyCertificate.class);
    }

    /** The message {@code gantry server --<flag> <value> ...} would stop with. */
    private String refusal(Map<String, String> flags) {
        Map<String, String> all = new HashMap<>(flags);
        all.putIfAbsent("data-dir", dir.toString());
        return catchThrowableOfType(IllegalArgumentException.class, () -> MemberConfig.parse(all)).getMessage();
    }

    /** The message a server started with these flags stops with, checking its TLS before serving. */
    private String serveRefusal(Map<String, String> flags) {
        Map<String, String> all = new HashMap<>(flags);
        all.put("data-dir", dir.toString());
        MemberConfig config = MemberConfig.parse(all);
        return catchThrowableOfType(IllegalArgumentException.class, () -> {
            config.peerCredentials();
            config.clientCredentials();
        }).getMessage();
    }

    private String loadRefusal(Path cert, Path key, Path ca) {
        return refusal(new TransportSecurity(TransportSecurity.Side.CLIENT, cert, key, ca, false, false));
    }

    private String refusal(TransportSecurity tls) {
        return catchThrowableOfType(IllegalArgumentException.class, () -> tls.load(dir, List.of(), List.of())).getMessage();
    }

    /** Writes certificates (self-signed, ECDSA) and their PKCS#8 keys as {@code <name>.pem} and {@code <name>-key.pem}. */
    private record Certificates(Path dir) {
        Path certificate(String name, KeyPurposeId... usages) throws Exception {
            Instant now = Instant.now();
            return certificate(name, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), usages);
        }

        Path certificate(String name, List<GeneralName> hosts, KeyPurposeId... usages) throws Exception {
            Instant now = Instant.now();
            return certificate(name, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), hosts, usages);
        }

        Path certificate(String name, Instant from, Instant to, KeyPurposeId... usages) throws Exception {
            return certificate(name, from, to, List.of(), usages);
        }

        Path certificate(String name, Instant from, Instant to, List<GeneralName> hosts, KeyPurposeId... usages)
                throws Exception {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = generator.generateKeyPair();
            X500Name subject = new X500Name("CN=" + name);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, BigInteger.ONE,
                    java.util.Date.from(from), java.util.Date.from(to), subject, keys.getPublic());
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usages));
            if (!hosts.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(hosts.toArray(GeneralName[]::new)));
            }
            write(dir.resolve(name + "-key.pem"), new JcaPKCS8Generator(keys.getPrivate(), null));
            Path cert = dir.resolve(name + ".pem");
            write(cert, new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()))));
            return cert;
        }

        private static void write(Path file, Object pem) throws IOException {
            StringWriter text = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
                writer.writeObject(pem);
            }
            Files.writeString(file, text.toString());
        }
    }
}
