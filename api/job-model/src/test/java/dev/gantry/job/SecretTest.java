package dev.gantry.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class SecretTest {
    private static final String VALUE = "hf_s3cr3t-välue";

    @Test
    void namesAreDnsLabels() {
        assertThat(Secret.validName("hf-token")).isTrue();
        assertThat(Secret.validName("a")).isTrue();
        assertThat(Secret.validName("HF-token")).isFalse();
        assertThat(Secret.validName("-token")).isFalse();
        assertThat(Secret.validName("a/b")).isFalse();
        assertThat(Secret.validName("x".repeat(64))).isFalse();
        assertThat(Secret.validName(null)).isFalse();
    }

    @Test
    void decodesUtf8TextAndRefusesWhatCannotBeAnEnvironmentVariableWithoutQuotingIt() {
        assertThat(Secret.decode(VALUE.getBytes(StandardCharsets.UTF_8))).isEqualTo(VALUE);
        assertThat(Secret.decode("line one\nline two\n".getBytes(StandardCharsets.UTF_8))).endsWith("two\n");
        assertThatThrownBy(() -> Secret.decode(new byte[0])).hasMessage("the secret value is empty");
        assertThatThrownBy(() -> Secret.decode(new byte[] {'a', (byte) 0xC3, 'b'}))
                .hasMessage("the secret value is not UTF-8 text (it becomes an environment variable)");
        assertThatThrownBy(() -> Secret.decode("pass\0word".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("NUL").hasMessageNotContaining("pass");
        byte[] max = "a".repeat(Secret.MAX_BYTES).getBytes(StandardCharsets.UTF_8);
        assertThat(Secret.decode(max)).hasSize(Secret.MAX_BYTES);
        assertThatThrownBy(() -> Secret.decode("a".repeat(Secret.MAX_BYTES + 1).getBytes(StandardCharsets.UTF_8)))
                .hasMessage("the secret value is 65537 bytes; the limit is 65536 (64 KiB)");
    }

    @Test
    void neitherToStringNorSizeShowTheValue() {
        Secret secret = new Secret(VALUE, Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-02T00:00:00Z"));
        assertThat(secret.toString()).doesNotContain(VALUE).contains("16 bytes");
        assertThat(secret.size()).isEqualTo(16);
        assertThat(Secret.read("/secrets/s", Json.write(secret))).isEqualTo(secret);
    }

    @Test
    void aStoredValueThatIsNoSecretIsRefusedByItsKeyWithoutQuotingIt() {
        for (String stored : new String[] {VALUE, "{\"value\": \"" + VALUE + "\"}", "{\"value\": \"" + VALUE + "\", \"x\": 1}"}) {
            assertThatThrownBy(() -> Secret.read("/secrets/s", stored)).hasMessageStartingWith("/secrets/s is not a secret")
                    .hasMessageNotContaining(VALUE).hasNoCause();
        }
    }
}
