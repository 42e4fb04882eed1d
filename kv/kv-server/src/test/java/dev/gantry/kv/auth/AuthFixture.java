package dev.gantry.kv.auth;

import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.auth.Permission;
import dev.gantry.kv.api.etcd.AuthEnableRequest;
import dev.gantry.kv.api.etcd.AuthRoleAddRequest;
import dev.gantry.kv.api.etcd.AuthRoleGrantPermissionRequest;
import dev.gantry.kv.api.etcd.AuthUserAddRequest;
import dev.gantry.kv.api.etcd.AuthUserGrantRoleRequest;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.RequestAuth;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.EtcdException;
import dev.gantry.kv.mvcc.StoreFixture;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A real store, and auth commands applied to it as Raft entries, one per command, checked as the applier does. */
abstract class AuthFixture extends StoreFixture {
    /** What the applied commands did to tokens, in order. */
    protected final List<TokenChange> tokenChanges = new ArrayList<>();

    /** Applies an auth command with no requester (as with auth disabled, or a member's own command). */
    protected void apply(Command.Builder command) {
        entry(view -> {
            Access.checkCommand(view, command.build());
            AuthApplier.apply(view, command.build(), tokenChanges);
            return null;
        });
    }

    /** Applies an auth command as {@code auth}. */
    protected void apply(RequestAuth auth, Command.Builder command) {
        apply(command.setAuth(auth));
    }

    protected void assertFails(EtcdError error, Runnable action) {
        assertThatThrownBy(action::run).isInstanceOf(EtcdException.class).hasMessage(error.message());
    }

    /** root (with the root role), a role "app" with readwrite on the prefix /app/, and alice with it; auth enabled. */
    protected void rootAppAndAlice() {
        addUser("root");
        apply(Command.newBuilder().setUserGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("root").setRole("root")));
        apply(Command.newBuilder().setRoleAdd(AuthRoleAddRequest.newBuilder().setName("app")));
        grant("app", Permission.Type.READWRITE, "/app/", "/app0");
        addUser("alice");
        apply(Command.newBuilder().setUserGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("alice").setRole("app")));
        apply(Command.newBuilder().setAuthEnable(AuthEnableRequest.getDefaultInstance()));
    }

    protected void addUser(String name) {
        apply(Command.newBuilder().setUserAdd(AuthUserAddRequest.newBuilder().setName(name)
                .setHashedPassword("$2a$10$notarealhashbutnotneededhere")));
    }

    protected void grant(String role, Permission.Type type, String key, String rangeEnd) {
        apply(Command.newBuilder().setRoleGrantPermission(AuthRoleGrantPermissionRequest.newBuilder().setName(role)
                .setPerm(Permission.newBuilder().setPermType(type).setKey(b(key)).setRangeEnd(b(rangeEnd)))));
    }

    /** A requester as a token lookup now would name it. */
    protected RequestAuth as(String user) {
        long revision = store.read(view -> view.authRevision());
        return RequestAuth.newBuilder().setUser(user).setRevision(revision).build();
    }

    protected static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }
}
