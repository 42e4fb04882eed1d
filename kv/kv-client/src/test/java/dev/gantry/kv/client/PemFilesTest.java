package dev.gantry.kv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEM files as openssl, cfssl and etcd's guides make them, written here by BouncyCastle (an implementation independent of
 * the one under test): keys in PKCS#8, PKCS#1 (RSA) and SEC1 (EC); and the mistakes an operator makes with them.
 */
class PemFilesTest {
    @TempDir
    Path dir;

    @Test
    void readsPkcs8Pkcs1AndSec1Keys() throws Exception {
        KeyPair rsa = keys("RSA");
        KeyPair ec = keys("EC");

        // JcaPEMWriter writes a bare RSA key in OpenSSL's traditional format, PKCS#1
        Path pkcs1 = pem("rsa-pkcs1.pem", rsa.getPrivate());
        assertThat(Files.readString(pkcs1)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(PemFiles.privateKey(pkcs1).getEncoded()).isEqualTo(rsa.getPrivate().getEncoded());
        // SEC1 as 'openssl ecparam -genkey' and cfssl write it: with the curve's name
        Path sec1 = pem("ec-sec1.pem", new PemObject("EC PRIVATE KEY", new org.bouncycastle.asn1.sec.ECPrivateKey(256,
                ((ECPrivateKey) ec.getPrivate()).getS(), SECObjectIdentifiers.secp256r1).getEncoded()));
        assertThat(((ECPrivateKey) PemFiles.privateKey(sec1)).getS()).isEqualTo(((ECPrivateKey) ec.getPrivate()).getS());
        assertThat(PemFiles.privateKey(pkcs8("ec-pkcs8.pem", ec)).getEncoded()).isEqualTo(ec.getPrivate().getEncoded());
        assertThat(PemFiles.privateKey(pkcs8("rsa-pkcs8.pem", rsa)).getEncoded()).isEqualTo(rsa.getPrivate().getEncoded());
    }

    @Test
    void aCertificateWithItsKeyMakesKeyManagers() throws Exception {
        KeyPair keys = keys("EC");
        Path cert = pem("cert.pem", certificate(keys));
        Path key = pkcs8("key.pem", keys);

        assertThat(PemFiles.keyManagers(cert, key)).hasSize(1);
        assertThat(PemFiles.trustManagers(cert)).hasSize(1);
        assertThat(PemFiles.certificates(cert).getFirst().getSubjectX500Principal().getName()).isEqualTo("CN=test");
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() throws Exception {
        Path cert = pem("cert.pem", certificate(keys("EC")));
        Path otherKey = pkcs8("other-key.pem", keys("EC"));

        assertThatThrownBy(() -> PemFiles.keyManagers(cert, otherKey))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(otherKey + " is not the private key of the certificate in " + cert);
    }

    @Test
    void mistakesNameTheFileAndWhatIsWrong() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> PemFiles.certificates(missing)).hasMessage(missing + ": no such file");

        Path key = pkcs8("key.pem", keys("EC"));
        assertThatThrownBy(() -> PemFiles.certificates(key)).hasMessage(key + ": no PEM certificate in it (-----BEGIN CERTIFICATE-----)");

        Path cert = pem("cert.pem", certificate(keys("EC")));
        assertThatThrownBy(() -> PemFiles.privateKey(cert)).hasMessage(cert + ": no PEM private key in it (-----BEGIN PRIVATE KEY-----)");

        Path encrypted = pem("encrypted.pem", new JcaPKCS8Generator(keys("EC").getPrivate(),
                new JceOpenSSLPKCS8EncryptorBuilder(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC)
                        .setPassword("secret".toCharArray()).build()));
        assertThatThrownBy(() -> PemFiles.privateKey(encrypted)).hasMessageContaining(encrypted + ": the private key is encrypted");
    }

    @Test
    void tlsOptionsNameEtcdctlsFlags() throws Exception {
        assertThatThrownBy(() -> new TlsOptions(null, dir.resolve("cert.pem"), null))
                .hasMessage("--cert and --key go together: give both, or neither");
        Path missing = dir.resolve("ca.pem");
        assertThatThrownBy(() -> new TlsOptions(missing, null, null).check()).hasMessage("--cacert " + missing + ": no such file");

        Path ca = pem("ca.pem", certificate(keys("EC")));
        assertThatThrownBy(() -> KvClient.connect("http://127.0.0.1:2379", new TlsOptions(ca, null, null)))
                .hasMessageContaining("endpoint 'http://127.0.0.1:2379' is plain http, but TLS files");
    }

    private static KeyPair keys(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("EC")) {
            generator.initialize(new ECGenParameterSpec("secp256r1"));
        } else {
            generator.initialize(2048);
        }
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(KeyPair keys) throws Exception {
        X500Name name = new X500Name("CN=test");
        Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                Date.from(now), Date.from(now.plus(Duration.ofDays(1))), name, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }

    private Path pkcs8(String name, KeyPair keys) throws Exception {
        return pem(name, new JcaPKCS8Generator(keys.getPrivate(), null));
    }

    private Path pem(String name, Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        Path file = dir.resolve(name);
        Files.writeString(file, text.toString());
        return file;
    }
}
