package dev.gantry.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.gantry.kv.client.EtcdUser;

/** {@code --job-user} and {@code --job-password-file}, as {@code gantry server} checks them before it starts. */
class JobUserTest {
    @TempDir
    Path dir;

    @Test
    void noFlagsIsNoUser() {
        assertThat(JobUser.parse(Map.of("name", "m1"))).isNull();
    }

    @Test
    void theUserAndThePasswordFromItsFile() throws IOException {
        Files.writeString(dir.resolve("pw"), "s3cret\n");
        EtcdUser user = JobUser.parse(Map.of("job-user", "gantry-jobs", "job-password-file", dir.resolve("pw").toString()));
        assertThat(user).isEqualTo(new EtcdUser("gantry-jobs", "s3cret"));
    }

    @Test
    void oneWithoutTheOtherOrABadFileIsRefusedNamingTheFlag() {
        assertThatThrownBy(() -> JobUser.parse(Map.of("job-user", "root")))
                .hasMessage("--job-user root needs --job-password-file FILE: the file holding its password");
        assertThatThrownBy(() -> JobUser.parse(Map.of("job-password-file", "pw")))
                .hasMessageStartingWith("--job-password-file needs --job-user NAME");
        assertThatThrownBy(() -> JobUser.parse(Map.of("job-user", "root", "job-password-file", dir.resolve("none").toString())))
                .hasMessage("--job-password-file " + dir.resolve("none") + ": no such file");
        assertThatThrownBy(() -> JobUser.parse(Map.of("job-user", "root:pw", "job-password-file", "pw")))
                .hasMessageStartingWith("--job-user: give the user's name only");
    }
}
