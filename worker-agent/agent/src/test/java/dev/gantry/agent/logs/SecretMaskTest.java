package dev.gantry.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class SecretMaskTest {
    private static final String TOKEN = "hf_Zq81xTOKENvalue";

    @Test
    void masksEveryOccurrenceAndLeavesTheRestAlone() {
        SecretMask mask = SecretMask.of(List.of(TOKEN));
        assertThat(mask.apply("token=" + TOKEN + " again " + TOKEN + "\n")).isEqualTo("token=*** again ***\n");
        assertThat(mask.apply("nothing secret here: hf_Zq81")).isEqualTo("nothing secret here: hf_Zq81");
        assertThat(SecretMask.of(List.of()).apply(TOKEN)).isEqualTo(TOKEN);
    }

    @Test
    void masksTheValueWithoutItsTrailingNewlineAndEachLineOfAMultiLineValue() {
        SecretMask fromFile = SecretMask.of(List.of(TOKEN + "\n"));
        assertThat(fromFile.apply("printed: " + TOKEN + ".")).isEqualTo("printed: ***.");
        SecretMask key = SecretMask.of(List.of("-----BEGIN KEY-----\nMIIEvQIBADANBg\nab\n-----END KEY-----\n"));
        assertThat(key.apply("line MIIEvQIBADANBg, short ab")).isEqualTo("line ***, short ab");
    }

    @Test
    void theLongerOfTwoOverlappingValuesIsMaskedWhole() {
        assertThat(SecretMask.of(List.of("abcd", "abcdefgh")).apply("xabcdefghx abcdx")).isEqualTo("x***x ***x");
    }

    @Test
    void aValueSplitAcrossWritesIsStillMasked() throws IOException {
        byte[] text = ("step 1 ok\nleaked: " + TOKEN + "\nstep 2 ok, hf_ but no token\n").getBytes(StandardCharsets.UTF_8);
        for (int chunk = 1; chunk <= 7; chunk++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            SecretMask.Stream masked = SecretMask.of(List.of(TOKEN)).wrap(out);
            for (int i = 0; i < text.length; i += chunk) {
                masked.write(text, i, Math.min(chunk, text.length - i));
                masked.flush();
            }
            masked.finish();
            assertThat(out.toString(StandardCharsets.UTF_8)).as("chunks of %d", chunk)
                    .isEqualTo("step 1 ok\nleaked: ***\nstep 2 ok, hf_ but no token\n");
        }
    }

    @Test
    void onlyBytesThatMayBeginAValueAreHeldBackAndFinishWritesThem() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SecretMask.Stream masked = SecretMask.of(List.of(TOKEN)).wrap(out);
        masked.write("progress 50% hf_Zq".getBytes(StandardCharsets.UTF_8));
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("progress 50% ");
        masked.finish();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("progress 50% hf_Zq");
    }

    @Test
    void multiByteValuesAreMatchedAsUtf8() {
        assertThat(SecretMask.of(List.of("pässwörd€")).apply("ä pässwörd€ ö")).isEqualTo("ä *** ö");
    }
}
