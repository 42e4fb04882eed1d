package dev.gantry.it.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.AuthGrpc;
import dev.gantry.kv.api.etcd.AuthStatusRequest;
import dev.gantry.kv.api.etcd.AuthStatusResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The auth suite against Gantry: it must behave as etcd does. */
class GantryAuthIT extends AuthSuite {
    @Override
    Implementation implementation() {
        return Implementation.GANTRY;
    }

    /** etcd 3.5's AuthStatus (etcd 3.4 does not serve it): anyone may ask. */
    @Test
    void authStatusReportsAuthEnabledAndTheAuthRevisionThatEachChangeMovesOn() {
        AuthStatusResponse before = status();
        assertThat(before.getEnabled()).isTrue();

        ok(etcdctl.run(ROOT, "role", "add", "status-probe"));
        assertThat(status().getAuthRevision()).isEqualTo(before.getAuthRevision() + 1);
        ok(etcdctl.run(ROOT, "role", "delete", "status-probe"));
        assertThat(status().getAuthRevision()).isEqualTo(before.getAuthRevision() + 2);
    }

    /** Passwords are hashed on the member that takes them, before their Raft entry: no disk holds one in clear. */
    @Test
    void noMemberWritesAPasswordToDiskOnlyItsBcryptHash() throws IOException {
        for (Member member : cluster.members()) {
            List<byte[]> files;
            try (Stream<Path> walk = Files.walk(member.dataDir())) {
                files = walk.filter(Files::isRegularFile).map(GantryAuthIT::read).toList();
            }
            assertThat(files).as("files of %s", member).isNotEmpty();
            assertThat(files).as("a file of %s holding a bcrypt hash (the Raft log)", member)
                    .anyMatch(bytes -> contains(bytes, "$2a$10$"));
            assertThat(files).as("files of %s holding a password", member)
                    .noneMatch(bytes -> contains(bytes, "rootpw") || contains(bytes, "alicepw"));
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException gone) {
            return new byte[0]; // a log segment or store file replaced while the test walked the directory
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean contains(byte[] bytes, String text) {
        return new String(bytes, StandardCharsets.ISO_8859_1).contains(text);
    }

    private AuthStatusResponse status() {
        return AuthGrpc.newBlockingStub(cluster.members().get(2).channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .authStatus(AuthStatusRequest.getDefaultInstance());
    }
}
