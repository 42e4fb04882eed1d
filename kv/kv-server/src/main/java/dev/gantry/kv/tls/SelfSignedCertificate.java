package dev.gantry.kv.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashSet;
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

import dev.gantry.kv.client.PemFiles;

/**
 * The certificate {@code --auto-tls} and {@code --peer-auto-tls} make, as etcd does: ECDSA P-256, valid for a year,
 * for the hosts of the side's URLs, kept as {@code cert.pem} and {@code key.pem} in a directory under the data
 * directory and reused on later starts until it expires.
 */
record SelfSignedCertificate(Path certFile, Path keyFile) {
    private static final Duration VALIDITY = Duration.ofDays(365);

    /** The certificate in {@code dir}, made now if there is none (or it expired). */
    static SelfSignedCertificate ensure(Path dir, List<String> hosts) {
        SelfSignedCertificate existing = new SelfSignedCertificate(dir.resolve("cert.pem"), dir.resolve("key.pem"));
        if (Files.exists(existing.certFile) && Files.exists(existing.keyFile) && stillValid(existing.certFile)) {
            return existing;
        }
        try {
            Files.createDirectories(dir);
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = generator.generateKeyPair();
            X509Certificate cert = sign(keys, new LinkedHashSet<>(hosts));
            // the key first, readable by the owner only; each file appears complete or not at all
            write(existing.keyFile, pem(keys.getPrivate()), true);
            write(existing.certFile, pem(cert), false);
            return existing;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a self-signed certificate: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a self-signed certificate to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean stillValid(Path certFile) {
        try {
            PemFiles.certificates(certFile).getFirst().checkValidity(Date.from(Instant.now().plus(Duration.ofDays(1))));
            return true;
        } catch (CertificateExpiredException | CertificateNotYetValidException | IllegalArgumentException e) {
            return false;
        }
    }

    private static X509Certificate sign(KeyPair keys, LinkedHashSet<String> hosts)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        Instant now = Instant.now();
        X500Name subject = new X500Name("O=gantry,CN=" + hosts.stream().findFirst().orElse("gantry"));
        GeneralName[] names = hosts.stream().map(SelfSignedCertificate::generalName).toArray(GeneralName[]::new);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                new BigInteger(127, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        builder.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        if (names.length > 0) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        }
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }

    /** An IP address as an IP name (clients match {@code https://127.0.0.1} against those), anything else as DNS. */
    private static GeneralName generalName(String host) {
        boolean literal = host.contains(":") || host.matches("[0-9.]+");
        if (literal) {
            try {
                return new GeneralName(GeneralName.iPAddress, InetAddress.getByName(host).getHostAddress());
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address: " + host, e);
            }
        }
        return new GeneralName(GeneralName.dNSName, host);
    }

    /** PEM text: a certificate, or a key as unencrypted PKCS#8 (BEGIN PRIVATE KEY), as openssl 3 writes keys. */
    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : object);
        }
        return text.toString();
    }

    private static void write(Path file, String content, boolean secret) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        if (secret && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(temp, content, StandardCharsets.US_ASCII);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
