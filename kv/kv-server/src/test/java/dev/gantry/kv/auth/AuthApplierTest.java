package dev.gantry.kv.auth;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.gantry.kv.api.auth.Permission;
import dev.gantry.kv.api.auth.User;
import dev.gantry.kv.api.etcd.AuthDisableRequest;
import dev.gantry.kv.api.etcd.AuthEnableRequest;
import dev.gantry.kv.api.etcd.AuthRoleAddRequest;
import dev.gantry.kv.api.etcd.AuthRoleDeleteRequest;
import dev.gantry.kv.api.etcd.AuthRoleRevokePermissionRequest;
import dev.gantry.kv.api.etcd.AuthUserAddRequest;
import dev.gantry.kv.api.etcd.AuthUserChangePasswordRequest;
import dev.gantry.kv.api.etcd.AuthUserDeleteRequest;
import dev.gantry.kv.api.etcd.AuthUserGrantRoleRequest;
import dev.gantry.kv.api.etcd.AuthUserRevokeRoleRequest;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.IssueToken;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.MvccStore;
import dev.gantry.kv.mvcc.MvccView;

import static org.assertj.core.api.Assertions.assertThat;

class AuthApplierTest extends AuthFixture {

    @Test
    void enablingNeedsARootUserThatHasTheRootRole() {
        Command.Builder enable = Command.newBuilder().setAuthEnable(AuthEnableRequest.getDefaultInstance());
        assertFails(EtcdError.ROOT_USER_NOT_EXIST, () -> apply(enable));
        addUser("root");
        assertFails(EtcdError.ROOT_ROLE_NOT_EXIST, () -> apply(enable));
        // the root role needs no RoleAdd: etcdctl's auth enable grants it right away
        apply(Command.newBuilder().setUserGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("root").setRole("root")));

        apply(enable);

        assertThat(store.read(MvccView::authEnabled)).isTrue();
    }

    @Test
    void everyChangeMovesTheAuthRevisionOnButRepeatsAndEnablingDoNot() {
        assertThat(revision()).as("a store that never changed auth").isEqualTo(1);
        addUser("root");
        assertThat(revision()).isEqualTo(2);
        apply(Command.newBuilder().setUserGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("root").setRole("root")));
        apply(Command.newBuilder().setUserGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("root").setRole("root")));
        assertThat(revision()).as("granting a role twice").isEqualTo(3);
        apply(Command.newBuilder().setAuthEnable(AuthEnableRequest.getDefaultInstance()));
        apply(Command.newBuilder().setAuthEnable(AuthEnableRequest.getDefaultInstance()));
        assertThat(revision()).as("enabling, as etcd 3.4").isEqualTo(3);
        apply(Command.newBuilder().setAuthDisable(AuthDisableRequest.getDefaultInstance()));
        assertThat(revision()).isEqualTo(4);
        apply(Command.newBuilder().setAuthDisable(AuthDisableRequest.getDefaultInstance()));
        assertThat(revision()).as("disabling twice").isEqualTo(4);
    }

    @Test
    void usersAndRolesHaveEtcdsErrors() {
        assertFails(EtcdError.USER_EMPTY, () -> addUser(""));
        addUser("alice");
        assertFails(EtcdError.USER_ALREADY_EXIST, () -> addUser("alice"));
        assertFails(EtcdError.ROLE_EMPTY, () -> apply(Command.newBuilder().setRoleAdd(AuthRoleAddRequest.getDefaultInstance())));
        apply(Command.newBuilder().setRoleAdd(AuthRoleAddRequest.newBuilder().setName("app")));
        assertFails(EtcdError.ROLE_ALREADY_EXIST, () -> apply(Command.newBuilder().setRoleAdd(AuthRoleAddRequest.newBuilder().setName("app"))));
        assertFails(EtcdError.USER_NOT_FOUND, () -> apply(Command.newBuilder()
                .setUserGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("bob").setRole("app"))));
        assertFails(EtcdError.ROLE_NOT_FOUND, () -> apply(Command.newBuilder()
                .setUserGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("alice").setRole("nope"))));
        assertFails(EtcdError.ROLE_NOT_GRANTED, () -> apply(Command.newBuilder()
                .setUserRevokeRole(AuthUserRevokeRoleRequest.newBuilder().setName("alice").setRole("app"))));
        assertFails(EtcdError.PERMISSION_NOT_GRANTED, () -> apply(Command.newBuilder().setRoleRevokePermission(
                AuthRoleRevokePermissionRequest.newBuilder().setRole("app").setKey(b("/x")))));
        assertFails(EtcdError.USER_NOT_FOUND, () -> apply(Command.newBuilder()
                .setUserDelete(AuthUserDeleteRequest.newBuilder().setName("bob"))));
        assertFails(EtcdError.ROLE_NOT_FOUND, () -> apply(Command.newBuilder()
                .setRoleDelete(AuthRoleDeleteRequest.newBuilder().setRole("nope"))));
    }

    @Test
    void withAuthEnabledRootCannotBeDeletedNorLoseTheRootRole() {
        rootAppAndAlice();
        assertFails(EtcdError.INVALID_AUTH_MGMT, () -> apply(as("root"), Command.newBuilder()
                .setUserDelete(AuthUserDeleteRequest.newBuilder().setName("root"))));
        assertFails(EtcdError.INVALID_AUTH_MGMT, () -> apply(as("root"), Command.newBuilder()
                .setUserRevokeRole(AuthUserRevokeRoleRequest.newBuilder().setName("root").setRole("root"))));
        assertFails(EtcdError.INVALID_AUTH_MGMT, () -> apply(as("root"), Command.newBuilder()
                .setRoleDelete(AuthRoleDeleteRequest.newBuilder().setRole("root"))));
    }

    @Test
    void deletingARoleTakesItFromItsUsers() {
        rootAppAndAlice();
        apply(as("root"), Command.newBuilder().setRoleDelete(AuthRoleDeleteRequest.newBuilder().setRole("app")));

        assertThat(store.read(view -> view.user("alice")).getRolesList()).isEmpty();
        assertThat(store.read(MvccView::roles)).isEmpty();
    }

    @Test
    void grantingAPermissionOnTheSameRangeAgainChangesItsTypeAndPermissionsAreKeptByKey() {
        apply(Command.newBuilder().setRoleAdd(AuthRoleAddRequest.newBuilder().setName("app")));
        grant("app", Permission.Type.READ, "/b", "");
        grant("app", Permission.Type.READ, "/a/", "/a0");
        grant("app", Permission.Type.WRITE, "/b", "");

        assertThat(store.read(view -> view.role("app")).getKeyPermissionList())
                .extracting(p -> p.getKey().toStringUtf8() + " " + p.getPermType())
                .containsExactly("/a/ READ", "/b WRITE");
    }

    @Test
    void usersAndRolesAreListedByName() {
        addUser("carol");
        addUser("alice");
        addUser("bob");
        apply(Command.newBuilder().setRoleAdd(AuthRoleAddRequest.newBuilder().setName("web")));
        apply(Command.newBuilder().setRoleAdd(AuthRoleAddRequest.newBuilder().setName("app")));

        assertThat(store.read(MvccView::users)).extracting(u -> u.getName().toStringUtf8()).containsExactly("alice", "bob", "carol");
        assertThat(store.read(MvccView::roles)).extracting(r -> r.getName().toStringUtf8()).containsExactly("app", "web");
    }

    @Test
    void aUserWithoutPasswordKeepsNoHash() {
        apply(Command.newBuilder().setUserAdd(AuthUserAddRequest.newBuilder().setName("svc")
                .setOptions(dev.gantry.kv.api.auth.UserAddOptions.newBuilder().setNoPassword(true))));

        User svc = store.read(view -> view.user("svc"));
        assertThat(svc.getPassword().isEmpty()).isTrue();
        assertThat(svc.getOptions().getNoPassword()).isTrue();
    }

    @Test
    void aTokenIsIssuedOnlyWithAuthEnabledAndWhileAuthIsAsItWasWhenThePasswordWasChecked() {
        Command.Builder issue = Command.newBuilder().setIssueToken(IssueToken.newBuilder().setUser("alice")
                .setTokenSha256(b("digest")).setCheckedRevision(1));
        assertFails(EtcdError.AUTH_NOT_ENABLED, () -> apply(issue));
        rootAppAndAlice();
        assertFails(EtcdError.AUTH_OLD_REVISION, () -> apply(issue));

        apply(issue.setIssueToken(issue.getIssueToken().toBuilder().setCheckedRevision(revision())));

        assertThat(tokenChanges).containsExactly(TokenChange.issued("alice", b("digest")));
    }

    @Test
    void deletingAUserOrChangingItsPasswordRevokesItsTokensAndDisablingRevokesAll() {
        rootAppAndAlice();
        apply(as("root"), Command.newBuilder().setUserChangePassword(AuthUserChangePasswordRequest.newBuilder()
                .setName("alice").setHashedPassword("$2a$10$another")));
        apply(as("root"), Command.newBuilder().setUserDelete(AuthUserDeleteRequest.newBuilder().setName("alice")));
        apply(as("root"), Command.newBuilder().setAuthDisable(AuthDisableRequest.getDefaultInstance()));

        assertThat(tokenChanges).containsExactly(TokenChange.userRevoked("alice"), TokenChange.userRevoked("alice"),
                TokenChange.allRevoked());
    }

    @Test
    void authOutlivesARestartAndIsKeptByASnapshotRestoredIntoANewCluster() throws IOException {
        rootAppAndAlice();
        long revision = revision();
        reopen();
        assertThat(store.read(MvccView::authEnabled)).isTrue();
        assertThat(store.read(MvccView::users)).hasSize(2);

        ByteArrayOutputStream dump = new ByteArrayOutputStream();
        store.dump(dump);
        Path restored = dir.resolve("restored");
        MvccStore.seed(restored, new ByteArrayInputStream(dump.toByteArray()));
        try (MvccStore seeded = MvccStore.open(restored)) {
            assertThat(seeded.read(MvccView::authEnabled)).isTrue();
            assertThat(seeded.read(MvccView::authRevision)).isEqualTo(revision);
            assertThat(seeded.read(view -> view.user("alice")).getRolesList()).containsExactly("app");
            assertThat(seeded.read(view -> view.role("app")).getKeyPermissionList()).hasSize(1);
        }
    }

    private long revision() {
        return store.read(MvccView::authRevision);
    }
}
