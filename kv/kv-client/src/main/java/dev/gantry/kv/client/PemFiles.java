package dev.gantry.kv.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates and private keys in PEM files, as etcd and etcdctl take them ({@code --cert-file}, {@code --cacert}, ...),
 * read with the JDK alone. Keys may be PKCS#8 ({@code BEGIN PRIVATE KEY}, what openssl 3 writes), PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}, what cfssl writes for ECDSA); like etcd's,
 * they must be unencrypted. Every failure is an {@link IllegalArgumentException} that names the file and what is wrong.
 */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final char[] IN_MEMORY_PASSWORD = "gantry".toCharArray();
    /** DER of the algorithm identifiers a PKCS#8 wrapper needs: rsaEncryption (with NULL), id-ecPublicKey. */
    private static final byte[] RSA_ALGORITHM = HexFormat.of().parseHex("300d06092a864886f70d0101010500");
    private static final byte[] EC_PUBLIC_KEY_OID = HexFormat.of().parseHex("06072a8648ce3d0201");

    private PemFiles() {
    }

    /** The certificates in a PEM file, in file order (a chain: the leaf first). */
    public static List<X509Certificate> certificates(Path file) {
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block block : blocks(file)) {
                if (block.type().equals("CERTIFICATE")) {
                    certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
                }
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException(file + ": not a valid certificate (" + e.getMessage() + ")", e);
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(file + ": no PEM certificate in it (-----BEGIN CERTIFICATE-----)");
        }
        return certificates;
    }

    /** The one unencrypted private key in a PEM file. */
    public static PrivateKey privateKey(Path file) {
        for (Block block : blocks(file)) {
            switch (block.type()) {
                case "PRIVATE KEY" -> {
                    return pkcs8(file, block.der());
                }
                case "RSA PRIVATE KEY" -> {
                    return pkcs8(file, sequence(integerZero(), RSA_ALGORITHM, octetString(block.der())));
                }
                case "EC PRIVATE KEY" -> {
                    byte[] algorithm = sequence(EC_PUBLIC_KEY_OID, curveOf(file, block.der()));
                    return pkcs8(file, sequence(integerZero(), algorithm, octetString(block.der())));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(file
                        + ": the private key is encrypted; it must be unencrypted (as etcd's), e.g. "
                        + "openssl pkey -in " + file + " -out key.pem");
                default -> {
                    // e.g. EC PARAMETERS before an EC key, as 'openssl ecparam -genkey' writes: not the key
                }
            }
        }
        throw new IllegalArgumentException(file + ": no PEM private key in it (-----BEGIN PRIVATE KEY-----)");
    }

    /**
     * Key managers that present {@code certFile}'s chain with {@code keyFile}'s key.
     *
     * @throws IllegalArgumentException also when the key is not the certificate's
     */
    public static KeyManager[] keyManagers(Path certFile, Path keyFile) {
        List<X509Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        if (!matches(key, chain.getFirst().getPublicKey())) {
            throw new IllegalArgumentException(keyFile + " is not the private key of the certificate in " + certFile);
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("key", key, IN_MEMORY_PASSWORD, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, IN_MEMORY_PASSWORD);
            return factory.getKeyManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(certFile + ", " + keyFile + ": cannot use them (" + e.getMessage() + ")", e);
        }
    }

    /** Trust managers that trust the certificates in {@code caFile}; with null, the JDK's default trusted CAs. */
    public static TrustManager[] trustManagers(Path caFile) {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile == null) {
                factory.init((KeyStore) null);
            } else {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                int i = 0;
                for (X509Certificate ca : certificates(caFile)) {
                    store.setCertificateEntry("ca-" + i++, ca);
                }
                factory.init(store);
            }
            return factory.getTrustManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(caFile + ": cannot use it as trusted CAs (" + e.getMessage() + ")", e);
        }
    }

    /** Whether {@code key} is the private half of {@code publicKey}: it signs what the public key verifies. */
    public static boolean matches(PrivateKey key, PublicKey publicKey) {
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return true; // an algorithm we cannot check: the TLS handshake will
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private record Block(String type, byte[] der) {
    }

    private static List<Block> blocks(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(file + ": permission denied", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read it (" + e + ")", e);
        }
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2).trim())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": the " + m.group(1) + " block is not valid base64", e);
            }
        }
        return blocks;
    }

    private static PrivateKey pkcs8(Path file, byte[] der) {
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                // not this algorithm: try the next
            }
        }
        throw new IllegalArgumentException(file + ": not a valid RSA, EC or EdDSA private key");
    }

    /** The named curve in a SEC1 key ({@code ECPrivateKey ::= SEQUENCE {version, key, [0] curve OID, [1] point}}). */
    private static byte[] curveOf(Path file, byte[] sec1) {
        int[] outer = tlv(sec1, 0);
        for (int at = outer[1]; at < outer[2]; ) {
            int[] element = tlv(sec1, at);
            if (element[0] == 0xa0) {
                int[] oid = tlv(sec1, element[1]);
                if (oid[0] == 0x06) {
                    return Arrays.copyOfRange(sec1, element[1], oid[2]);
                }
            }
            at = element[2];
        }
        throw new IllegalArgumentException(file + ": the EC private key does not name its curve");
    }

    /** A DER element at {@code at}: {tag, first value byte, end}. */
    private static int[] tlv(byte[] der, int at) {
        if (at + 2 > der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        int tag = der[at] & 0xff;
        int length = der[at + 1] & 0xff;
        int start = at + 2;
        if (length > 0x80) {
            int bytes = length & 0x7f;
            length = 0;
            for (int i = 0; i < bytes; i++) {
                length = (length << 8) | (der[start + i] & 0xff);
            }
            start += bytes;
        }
        if (start + length > der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        return new int[] {tag, start, start + length};
    }

    private static byte[] integerZero() {
        return new byte[] {0x02, 0x01, 0x00};
    }

    private static byte[] octetString(byte[] content) {
        return element(0x04, content);
    }

    private static byte[] sequence(byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            content.writeBytes(part);
        }
        return element(0x30, content.toByteArray());
    }

    private static byte[] element(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
