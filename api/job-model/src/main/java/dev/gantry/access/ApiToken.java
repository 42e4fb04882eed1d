package dev.gantry.access;

import dev.gantry.job.Keys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;

/**
 * An API token as stored at {@code /tokens/<id>}: who holds it, its role, and the SHA-256 of its secret, never the
 * secret itself (the secret is 256 random bits, so a plain hash cannot be guessed back the way a password's can).
 *
 * @param name who the token is for; jobs submitted with it record this as {@code submittedBy}
 * @param expires null: never
 */
public record ApiToken(String id, String name, Role role, Instant created, Instant expires, String secretSha256) {
    public String key() {
        return Keys.token(id);
    }

    public boolean expired(Instant now) {
        return expires != null && !now.isBefore(expires);
    }

    /** Whether {@code secret} is this token's, compared in constant time. */
    public boolean matches(String secret) {
        return MessageDigest.isEqual(sha256(secret).getBytes(StandardCharsets.US_ASCII),
                secretSha256.getBytes(StandardCharsets.US_ASCII));
    }

    static String sha256(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
