package dev.gantry.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.gantry.kv.client.EtcdUser;

class AgentCommandTest {
    private static AgentConfig config(String... args) {
        return AgentCommand.config(AgentCommand.parse(args), Map.of());
    }

    @Test
    void defaultsAreEtcdsPortAndATenSecondLease() {
        AgentConfig config = config("agent", "--node-id", "gpu-1");
        assertThat(config.endpoints()).containsExactly("http://localhost:2379");
        assertThat(config.leaseTtlSeconds()).isEqualTo(10);
        assertThat(config.listen().getPort()).isEqualTo(2390);
        assertThat(config.stopGrace()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.simulateGpus()).isNull();
    }

    @Test
    void flagsAreReadInBothForms() {
        AgentConfig config = config("--endpoints=http://a:2379,http://b:2379", "--node-id", "gpu-2", "--lease-ttl", "5",
                "--simulate-gpus", "8xH100-80GB", "--labels", "rack=r1,zone=z", "--stop-grace", "500ms", "--listen-logs", "127.0.0.1:0");
        assertThat(config.endpoints()).containsExactly("http://a:2379", "http://b:2379");
        assertThat(config.leaseTtlSeconds()).isEqualTo(5);
        assertThat(config.labels()).isEqualTo(Map.of("rack", "r1", "zone", "z"));
        assertThat(config.stopGrace()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.listen().getPort()).isZero();
    }

    @Test
    void endpointsComeFromTheEnvironmentWhenNoFlagGivesThem() {
        assertThat(AgentCommand.config(AgentCommand.parse("--node-id", "n"), Map.of("GANTRY_ENDPOINTS", "http://x:1")).endpoints())
                .containsExactly("http://x:1");
    }

    @Test
    void badFlagsAreRefusedWithTheFlagAndWhy() {
        assertThatThrownBy(() -> config("--bogus", "1")).hasMessage("unknown flag --bogus");
        assertThatThrownBy(() -> config("--lease-ttl", "1")).hasMessageContaining("--lease-ttl: between 3 and 300");
        assertThatThrownBy(() -> config("--lease-ttl", "ten")).hasMessageContaining("is not a whole number");
        assertThatThrownBy(() -> config("--endpoints", "localhost:2379")).hasMessageContaining("is not http(s)://host:port");
        assertThatThrownBy(() -> config("--node-id", "a/b")).hasMessageContaining("--node-id");
        assertThatThrownBy(() -> config("--simulate-gpus", "lots")).hasMessageContaining("--simulate-gpus");
        assertThatThrownBy(() -> config("--stop-grace", "10 seconds")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> config("--listen-logs", "2390")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> config("--labels", "gpu")).hasMessageContaining("KEY=VALUE");
        assertThatThrownBy(() -> config("--node-id")).hasMessageContaining("needs a value");
    }

    @Test
    void theUserComesWithItsPasswordFromAFileOrTheEnvironment(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("pw"), "s3cret\n");
        assertThat(config("--node-id", "a").user()).isNull();
        assertThat(config("--node-id", "a", "--user", "node-a", "--password-file", dir.resolve("pw").toString()).user())
                .isEqualTo(new EtcdUser("node-a", "s3cret"));
        assertThat(AgentCommand.config(AgentCommand.parse("--node-id", "a", "--user", "node-a"),
                Map.of("GANTRY_AGENT_PASSWORD", "from-env")).user()).isEqualTo(new EtcdUser("node-a", "from-env"));
    }

    @Test
    void aUserWithoutItsPasswordOrABadPasswordFileIsRefused(@TempDir Path dir) {
        assertThatThrownBy(() -> config("--user", "node-a")).hasMessage(
                "--user node-a needs its password: --password-file FILE, or the environment variable GANTRY_AGENT_PASSWORD");
        assertThatThrownBy(() -> config("--password-file", "pw")).hasMessageStartingWith("--password-file needs --user NAME");
        assertThatThrownBy(() -> config("--user", "node-a", "--password-file", dir.resolve("none").toString()))
                .hasMessage("--password-file " + dir.resolve("none") + ": no such file");
        assertThatThrownBy(() -> config("--user", "node-a:s3cret", "--password-file", "pw"))
                .hasMessageStartingWith("--user: give the user's name only");
    }

    @Test
    void aBadFlagExitsWithStatusTwoAndHelpExitsZero() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = AgentCommand.run(new PrintStream(out), new PrintStream(err), Map.of(), "agent", "--lease-ttl", "0");
        assertThat(status).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("gantry agent: --lease-ttl");
        assertThat(AgentCommand.run(new PrintStream(out), new PrintStream(err), Map.of(), "agent", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Usage: gantry agent").contains("--simulate-gpus");
        assertThat(List.of(AgentCommand.USAGE.split("\n"))).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(110));
    }
}
