package dev.gantry.kv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcdUserTest {
    @TempDir
    Path dir;

    @Test
    void thePasswordIsTheFileLessItsTrailingLineBreak() throws IOException {
        Files.writeString(dir.resolve("unix"), "s3cret\n");
        Files.writeString(dir.resolve("dos"), "s3cret\r\n");
        Files.writeString(dir.resolve("bare"), " s3cret ");
        assertThat(EtcdUser.of("--user", "node-a", "--password-file", dir.resolve("unix")).password()).isEqualTo("s3cret");
        assertThat(EtcdUser.read("--password-file", dir.resolve("dos"))).isEqualTo("s3cret");
        assertThat(EtcdUser.read("--password-file", dir.resolve("bare"))).as("spaces are the password's").isEqualTo(" s3cret ");
    }

    @Test
    void theNameIsShownAndThePasswordNever() throws IOException {
        Files.writeString(dir.resolve("pw"), "s3cret\n");
        assertThat(EtcdUser.of("--user", "node-a", "--password-file", dir.resolve("pw"))).hasToString("EtcdUser[node-a]");
    }

    @Test
    void badInputIsRefusedNamingTheFlag() throws IOException {
        Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> EtcdUser.of("--user", "node-a", "--password-file", dir.resolve("missing")))
                .hasMessage("--password-file " + dir.resolve("missing") + ": no such file");
        assertThatThrownBy(() -> EtcdUser.read("--password-file", dir.resolve("empty")))
                .hasMessageContaining(": the file is empty");
        assertThatThrownBy(() -> EtcdUser.of("--user", "node-a:s3cret", "--password-file", dir.resolve("empty")))
                .hasMessage("--user: give the user's name only; the password goes in --password-file FILE, not on the command line");
        assertThatThrownBy(() -> EtcdUser.of("--user", " ", "--password-file", dir.resolve("empty")))
                .hasMessage("--user: the user name is empty");
    }
}
