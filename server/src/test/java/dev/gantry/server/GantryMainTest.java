package dev.gantry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** {@code gantry server}'s flag syntax, which is etcd's (Go's flag package): booleans take no value. */
class GantryMainTest {
    @Test
    void tlsSwitchesTakeNoValueUnlessWrittenWithEquals() {
        Map<String, String> flags = GantryMain.parseFlags("server", "--client-cert-auth", "--name", "m1",
                "--peer-auto-tls=false", "--cert-file", "member.pem");

        assertThat(flags).containsExactly(Map.entry("client-cert-auth", "true"), Map.entry("name", "m1"),
                Map.entry("peer-auto-tls", "false"), Map.entry("cert-file", "member.pem"));
    }

    @Test
    void aFileFlagWithoutItsFileIsRefused() {
        assertThatThrownBy(() -> GantryMain.parseFlags("--key-file")).hasMessage("flag --key-file needs a value");
    }

    @Test
    void theHelpListsTheTlsFlags() {
        assertThat(GantryMain.USAGE).contains("--cert-file FILE --key-file FILE", "--trusted-ca-file FILE",
                "--client-cert-auth", "--auto-tls", "--peer-cert-file FILE", "--peer-client-cert-auth", "--peer-auto-tls");
    }
}
