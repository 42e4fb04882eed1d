package dev.gantry.it.cluster;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away public key infrastructure for tests, in a directory of PEM files: a CA, and certificates it signs for
 * members (valid for localhost, 127.0.0.1 and ::1, for TLS servers and clients) and for clients (a common name, TLS
 * clients only). A second {@code TestPki} is another CA, whose certificates the first one's servers refuse.
 *
 * <pre>{@code
 * TestPki pki = TestPki.create(dir, "gantry-test-ca");
 * TestPki.Issued member = pki.member("member");   // member.cert(), member.key()
 * TestPki.Issued alice = pki.client("alice");     // CN=alice
 * }</pre>
 */
public final class TestPki {
    /** A certificate and its (unencrypted PKCS#8) key, as files. */
    public record Issued(Path cert, Path key) {
    }

    private static final Duration VALIDITY = Duration.ofDays(2);

    private final Path dir;
    private final X500Name name;
    private final KeyPair keys;
    private final Path caCert;

    private TestPki(Path dir, X500Name name, KeyPair keys, Path caCert) {
        this.dir = dir;
        this.name = name;
        this.keys = keys;
        this.caCert = caCert;
    }

    /** A new CA named {@code CN=<commonName>}, its certificate in {@code <dir>/<commonName>.pem}. */
    public static TestPki create(Path dir, String commonName) {
        try {
            Files.createDirectories(dir);
            KeyPair keys = newKeys();
            X500Name name = new X500Name("CN=" + commonName);
            JcaX509v3CertificateBuilder builder = builder(name, name, keys);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            Path cert = dir.resolve(commonName + ".pem");
            write(cert, sign(builder, keys.getPrivate()));
            return new TestPki(dir, name, keys, cert);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot make a test CA: " + e.getMessage(), e);
        }
    }

    /** The CA's certificate: what {@code --trusted-ca-file} and etcdctl's {@code --cacert} take. */
    public Path caCert() {
        return caCert;
    }

    /** A member's certificate: for localhost, 127.0.0.1 and ::1, usable by TLS servers and clients (peers are both). */
    public Issued member(String commonName) {
        return issue(commonName, List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth), true);
    }

    /** A client's certificate, {@code CN=<commonName>}: usable by TLS clients only. */
    public Issued client(String commonName) {
        return issue(commonName, List.of(KeyPurposeId.id_kp_clientAuth), false);
    }

    private Issued issue(String commonName, List<KeyPurposeId> usages, boolean hostNames) {
        try {
            KeyPair subject = newKeys();
            JcaX509v3CertificateBuilder builder = builder(name, new X500Name("CN=" + commonName), subject);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usages.toArray(KeyPurposeId[]::new)));
            if (hostNames) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, "localhost"),
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                        new GeneralName(GeneralName.iPAddress, "::1")}));
            }
            Issued issued = new Issued(dir.resolve(commonName + ".pem"), dir.resolve(commonName + "-key.pem"));
            write(issued.cert(), sign(builder, keys.getPrivate()));
            write(issued.key(), new JcaPKCS8Generator(subject.getPrivate(), null));
            return issued;
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot issue a test certificate: " + e.getMessage(), e);
        }
    }

    private static KeyPair newKeys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }

    private static void write(Path file, Object pem) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(pem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.writeString(file, text.toString(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
