package dev.gantry.access;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The text a client sends as {@code Authorization: Bearer ...}: {@code gantry_<id>.<secret>}. The id finds the
 * stored {@link ApiToken}; the secret proves the holder has the token. The {@code gantry_} prefix lets secret
 * scanners recognise a leaked token.
 */
public record BearerToken(String id, String secret) {
    private static final String PREFIX = "gantry_";
    private static final Pattern FORMAT = Pattern.compile("gantry_([a-z0-9]{12})\\.([A-Za-z0-9_-]{43})");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    /** A new token: a random id and 256 random bits of secret. */
    public static BearerToken generate() {
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            id.append(ID_CHARS[RANDOM.nextInt(ID_CHARS.length)]);
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return new BearerToken(id.toString(), Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    /** The token in {@code text}, or empty when it is not one of ours (a typo, another system's token). */
    public static Optional<BearerToken> parse(String text) {
        var matcher = FORMAT.matcher(text == null ? "" : text.strip());
        return matcher.matches() ? Optional.of(new BearerToken(matcher.group(1), matcher.group(2))) : Optional.empty();
    }

    /** What is stored for this token: everything but the secret. */
    public ApiToken record(String name, Role role, Instant created, Instant expires) {
        return new ApiToken(id, name, role, created, expires, ApiToken.sha256(secret));
    }

    /** The text to hand to the holder, once. */
    public String text() {
        return PREFIX + id + "." + secret;
    }

    @Override
    public String toString() {
        return "BearerToken[" + id + "]"; // never the secret, whatever logs this
    }
}
