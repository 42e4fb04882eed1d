package dev.gantry.job;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * A secret as stored under {@code /secrets/<name>}: its value and when it was created and last changed. The value
 * becomes an environment variable of the processes of jobs that reference it ({@link TaskSpec#secretEnv()}), so it
 * is UTF-8 text without NUL characters. It is stored as it is, unencrypted: access to the KV is what protects it
 * (docs/operations.md, "Secrets"). {@link #toString()} leaves the value out, so logging a secret cannot leak it.
 */
public record Secret(String value, Instant createdAt, Instant updatedAt) {
    /** As a job name (and a Kubernetes DNS label): lower-case letters, digits and '-', at most 63 characters. */
    public static final String NAME_RULE = "lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
    public static final int MAX_BYTES = 64 * 1024;

    public static boolean validName(String name) {
        return name != null && SpecValidator.NAME.matcher(name).matches();
    }

    /** The value's size in bytes (UTF-8). */
    public int size() {
        return value.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * A value as sent (a request body, a file): decoded as strict UTF-8. Refused without quoting the bytes, as
     * they are a secret: empty, over {@link #MAX_BYTES}, not UTF-8, or holding a NUL (an environment variable cannot).
     */
    public static String decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new IllegalArgumentException("the secret value is empty");
        }
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("the secret value is " + bytes.length + " bytes; the limit is " + MAX_BYTES + " (64 KiB)");
        }
        String value;
        try {
            value = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the secret value is not UTF-8 text (it becomes an environment variable)");
        }
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("the secret value holds a NUL character, which an environment variable cannot");
        }
        return value;
    }

    /**
     * A value read from {@code key}. One written by hand that is not a secret as Gantry writes it is refused naming
     * the key only: Jackson's own message would quote the stored text, that is, the value.
     */
    public static Secret read(String key, String stored) {
        Secret secret;
        try {
            secret = Json.mapper().readValue(stored, Secret.class);
        } catch (JsonProcessingException e) {
            secret = null;
        }
        if (secret == null || secret.value() == null || secret.createdAt() == null || secret.updatedAt() == null) {
            throw new IllegalStateException(key + " is not a secret as Gantry writes it ({\"value\", \"createdAt\", \"updatedAt\"}); "
                    + "write it with gantry secret set");
        }
        return secret;
    }

    @Override
    public String toString() {
        return "Secret[" + size() + " bytes, createdAt=" + createdAt + ", updatedAt=" + updatedAt + "]";
    }
}
