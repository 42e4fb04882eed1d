package dev.gantry.kv.auth;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PasswordsTest {
    @Test
    void aHashIsSaltedBcryptOfEtcdsCostAndMatchesOnlyItsPassword() {
        String hash = Passwords.hash("s3cret");

        assertThat(hash).startsWith("$2a$10$").doesNotContain("s3cret");
        assertThat(Passwords.hash("s3cret")).as("salted").isNotEqualTo(hash);
        assertThat(Passwords.matches("s3cret", hash.getBytes(StandardCharsets.US_ASCII))).isTrue();
        assertThat(Passwords.matches("s3cret!", hash.getBytes(StandardCharsets.US_ASCII))).isFalse();
        assertThat(Passwords.matches("", new byte[0])).as("a user without password").isFalse();
    }
}
