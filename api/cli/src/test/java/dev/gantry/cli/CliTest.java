package dev.gantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit statuses and messages that need no server: usage errors (2), help (0), an unreachable server (1). */
class CliTest {
    record Result(int exit, String out, String err) {
    }

    private static Result run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Cli.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), env, args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] command : new String[][] {{"job", "submit"}, {"job", "ls"}, {"job", "get"}, {"job", "cancel"}, {"job", "events"},
                {"node", "ls"}, {"node", "get"}, {"node", "cordon"}, {"node", "drain"}, {"node", "uncordon"}, {"node", "credential"},
                {"config", "get"}, {"config", "set"}, {"secret", "set"}, {"secret", "list"}, {"secret", "delete"},
                {"token", "create"}, {"token", "ls"}, {"token", "revoke"}, {"kv", "get"}, {"kv", "put"}, {"kv", "del"}, {"kv", "watch"}}) {
            Result help = run(Map.of(), command[0], command[1], "--help");
            assertThat(help.exit).isZero();
            assertThat(help.out).startsWith("Usage: gantry " + command[0] + " " + command[1]);
        }
        assertThat(run(Map.of(), "job", "--help").out).contains("submit", "events");
    }

    @Test
    void usageErrorsExitTwo() {
        Result unknown = run(Map.of(), "job", "launch");
        assertThat(unknown.exit).isEqualTo(2);
        assertThat(unknown.err).contains("unknown command 'launch'").contains("gantry job --help");
        assertThat(run(Map.of(), "job", "get").err).contains("missing job id");
        assertThat(run(Map.of(), "job", "submit", "-f", "/no/such/job.yaml").err).contains("no such file");
        assertThat(run(Map.of(), "job", "ls", "-o", "xml").exit).isEqualTo(2);
        assertThat(run(Map.of(), "node", "ls", "--server", "not a url").exit).isEqualTo(2);
        assertThat(run(Map.of(), "job", "submit", "--name", "x", "--label", "novalue").err).contains("--label must be KEY=VALUE");
    }

    @Test
    void aNodeCredentialNeedsItsPasswordFromAFileAndAValidNodeId() {
        Result noPassword = run(Map.of(), "node", "credential", "gpu-1");
        assertThat(noPassword.exit).isEqualTo(2);
        assertThat(noPassword.err).contains("--node-password-file FILE, or --no-password");
        assertThat(run(Map.of(), "node", "credential", "gpu-1", "--no-password", "--node-password-file", "pw").exit).isEqualTo(2);
        assertThat(run(Map.of(), "node", "credential", "a/b", "--no-password").err).contains("node id 'a/b' must be");
        assertThat(run(Map.of(), "node", "credential", "gpu-1", "--node-password-file", "/no/such/pw").err)
                .contains("--node-password-file /no/such/pw: no such file");
        assertThat(run(Map.of(), "node", "credential", "gpu-1", "--no-password", "--user", "root").err)
                .contains("--user NAME and --password-file FILE go together");
        assertThat(run(Map.of(), "kv", "get", "k", "--user", "root:pw", "--password-file", "/no/such/pw").err)
                .contains("--user: give the user's name only");
    }

    @Test
    void theRoleOfANodeIsItsOwnKeysTheTasksAndTheSecrets() {
        assertThat(NodeCredential.userOf("gpu-1")).isEqualTo("node-gpu-1");
        assertThat(NodeCredential.grants("gpu-1")).map(NodeCredential.Grant::toString).containsExactly(
                "READWRITE /nodes/gpu-1", "READWRITE /assignments/gpu-1/ (prefix)", "READWRITE /tasks/ (prefix)",
                "READ      /secrets/ (prefix)");
        assertThat(NodeCredential.prefixEnd("/assignments/gpu-1/").toStringUtf8()).isEqualTo("/assignments/gpu-10");
    }

    @Test
    void aSecretsValueIsNeverTakenFromTheCommandLineNorEchoedInAnError(@TempDir Path dir)
            throws IOException {
        String value = "hf_NotOnTheCommandLine";
        Result positional = run(Map.of(), "secret", "set", "hf-token", value);
        assertThat(positional.exit).isEqualTo(2);
        assertThat(positional.err).contains("never given on the command line").doesNotContain(value);
        assertThat(run(Map.of(), "secret", "set", "hf-token").err).contains("exactly one of --from-file FILE, --from-env VAR, --from-stdin");
        assertThat(run(Map.of("T", value), "secret", "set", "hf-token", "--from-env", "T", "--from-stdin").exit).isEqualTo(2);
        assertThat(run(Map.of(), "secret", "set", "hf-token", "--from-env", "NOT_SET").err).contains("environment variable NOT_SET is not set");
        assertThat(run(Map.of(), "secret", "set", "hf-token", "--from-file", "/no/such/token").err).contains("no such file: /no/such/token");
        Path big = Files.write(dir.resolve("big"), new byte[64 * 1024 + 1]);
        assertThat(run(Map.of(), "secret", "set", "hf-token", "--from-file", big.toString()).err).contains("at most 65536");
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        assertThat(run(Map.of(), "secret", "set", "hf-token", "--from-file", empty.toString()).err).contains("the secret value is empty");
        assertThat(run(Map.of("T", value), "secret", "set", "HF_TOKEN", "--from-env", "T").err).contains("secret NAME must be lower-case");
        assertThat(run(Map.of(), "secret", "delete").err).contains("missing secret NAME");
    }

    @Test
    void aSecretFromStdinIsCheckedBeforeAnythingIsSent() {
        var stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream(new byte[] {'p', (byte) 0xff}));
            Result notUtf8 = run(Map.of(), "secret", "set", "hf-token", "--from-stdin", "--server", "http://127.0.0.1:1");
            assertThat(notUtf8.exit).isEqualTo(2);
            assertThat(notUtf8.err).contains("not UTF-8 text");
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void tlsFilesAreCheckedBeforeAnyRequest() {
        Result missing = run(Map.of(), "node", "ls", "--server", "https://127.0.0.1:1", "--cacert", "/no/such/ca.pem");
        assertThat(missing.exit).isEqualTo(2);
        assertThat(missing.err).contains("--cacert /no/such/ca.pem: no such file");
        Result halfAPair = run(Map.of("GANTRY_CERT", "/some/cert.pem"), "kv", "get", "k");
        assertThat(halfAPair.exit).isEqualTo(2);
        assertThat(halfAPair.err).contains("--cert and --key go together");
    }

    @Test
    void anUnreachableServerExitsOneAndSaysWhere() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Result down = run(Map.of("GANTRY_SERVER", "http://127.0.0.1:" + port), "job", "ls");
        assertThat(down.exit).isEqualTo(1);
        assertThat(down.err).contains("cannot reach the Gantry server at http://127.0.0.1:" + port);
    }
}
