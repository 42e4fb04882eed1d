package dev.gantry.kv.auth;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.RequestAuth;
import dev.gantry.kv.mvcc.EtcdError;

import static org.assertj.core.api.Assertions.assertThatCode;

class AccessTest extends AuthFixture {
    private static final RequestAuth NO_TOKEN = RequestAuth.getDefaultInstance();

    @Test
    void withAuthDisabledAnyoneMayDoAnything() {
        addUser("alice");
        assertThatCode(() -> check(NO_TOKEN, put("/anything"))).doesNotThrowAnyException();
        assertThatCode(() -> check(as("alice"), compact())).doesNotThrowAnyException();
        assertThatCode(() -> read(NO_TOKEN, "/x", "")).doesNotThrowAnyException();
    }

    @Test
    void withAuthEnabledARequestWithoutAUserIsRefusedAsEtcdDoes() {
        rootAppAndAlice();
        assertFails(EtcdError.USER_EMPTY, () -> check(NO_TOKEN, put("/app/a")));
        assertFails(EtcdError.USER_EMPTY, () -> read(NO_TOKEN, "/app/a", ""));
        assertFails(EtcdError.USER_EMPTY, () -> check(NO_TOKEN, compact()));
    }

    @Test
    void aTokenLookedUpBeforeTheLastAuthChangeIsStale() {
        rootAppAndAlice();
        RequestAuth before = as("alice");
        addUser("bob");

        assertFails(EtcdError.AUTH_OLD_REVISION, () -> check(before, put("/app/a")));
        assertThatCode(() -> check(as("alice"), put("/app/a"))).doesNotThrowAnyException();
    }

    @Test
    void anUnknownUserIsDeniedKeysAndNotFoundForAdministration() {
        rootAppAndAlice();
        assertFails(EtcdError.PERMISSION_DENIED, () -> check(as("mallory"), put("/app/a")));
        assertFails(EtcdError.USER_NOT_FOUND, () -> check(as("mallory"), compact()));
    }

    @Test
    void rootMayDoAnything() {
        rootAppAndAlice();
        assertThatCode(() -> check(as("root"), put("/etc/x"))).doesNotThrowAnyException();
        assertThatCode(() -> check(as("root"), compact())).doesNotThrowAnyException();
        assertThatCode(() -> read(as("root"), "\0", "\0")).doesNotThrowAnyException();
    }

    @Test
    void aLimitedUserReadsAndWritesOnlyItsPrefix() {
        rootAppAndAlice();
        RequestAuth alice = as("alice");

        assertThatCode(() -> check(alice, put("/app/a"))).doesNotThrowAnyException();
        assertThatCode(() -> read(alice, "/app/", "/app0")).doesNotThrowAnyException();
        assertThatCode(() -> check(alice, Command.newBuilder().setDeleteRange(DeleteRangeRequest.newBuilder()
                .setKey(b("/app/")).setRangeEnd(b("/app0")).setPrevKv(true)))).doesNotThrowAnyException();
        assertFails(EtcdError.PERMISSION_DENIED, () -> check(alice, put("/etc/a")));
        assertFails(EtcdError.PERMISSION_DENIED, () -> read(alice, "/etc/a", ""));
        assertFails(EtcdError.PERMISSION_DENIED, () -> read(alice, "/app/", "\0"));
        assertFails(EtcdError.PERMISSION_DENIED, () -> check(alice, Command.newBuilder()
                .setDeleteRange(DeleteRangeRequest.newBuilder().setKey(b("/app/")).setRangeEnd(b("/b")))));
        assertFails(EtcdError.PERMISSION_DENIED, () -> check(alice, compact()));
    }

    @Test
    void aPutOrDeleteWithPrevKvNeedsReadPermissionToo() {
        rootAppAndAlice();
        grant("app", dev.gantry.kv.api.auth.Permission.Type.WRITE, "/wo", "");
        RequestAuth alice = as("alice");

        assertThatCode(() -> check(alice, put("/wo"))).doesNotThrowAnyException();
        assertFails(EtcdError.PERMISSION_DENIED, () -> check(alice, Command.newBuilder()
                .setPut(PutRequest.newBuilder().setKey(b("/wo")).setPrevKv(true))));
        assertFails(EtcdError.PERMISSION_DENIED, () -> check(alice, Command.newBuilder()
                .setDeleteRange(DeleteRangeRequest.newBuilder().setKey(b("/wo")).setPrevKv(true))));
    }

    @Test
    void everyCompareAndEveryRequestOfBothBranchesOfATxnAndOfNestedTxnsIsChecked() {
        rootAppAndAlice();
        RequestAuth alice = as("alice");
        RequestOp inside = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("/app/a"))).build();
        RequestOp outside = RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(b("/etc/a"))).build();
        Compare compareInside = Compare.newBuilder().setKey(b("/app/a")).setTarget(Compare.CompareTarget.VERSION).build();
        Compare compareOutside = Compare.newBuilder().setKey(b("/etc/a")).setTarget(Compare.CompareTarget.VERSION).build();

        assertThatCode(() -> txn(alice, TxnRequest.newBuilder().addCompare(compareInside).addSuccess(inside)
                .addFailure(inside).build())).doesNotThrowAnyException();
        assertFails(EtcdError.PERMISSION_DENIED, () -> txn(alice, TxnRequest.newBuilder().addCompare(compareOutside)
                .addSuccess(inside).build()));
        assertFails(EtcdError.PERMISSION_DENIED, () -> txn(alice, TxnRequest.newBuilder().addCompare(compareInside)
                .addSuccess(inside).addFailure(outside).build()));
        TxnRequest nested = TxnRequest.newBuilder().addSuccess(inside).addFailure(outside).build();
        assertFails(EtcdError.PERMISSION_DENIED, () -> txn(alice, TxnRequest.newBuilder().addSuccess(inside)
                .addSuccess(RequestOp.newBuilder().setRequestTxn(nested)).build()));
    }

    @Test
    void aLeaseWithAKeyTheUserCannotWriteCanNeitherBeRevokedNorUsedByIt() {
        rootAppAndAlice();
        long lease = 7;
        entry(view -> {
            view.grantLease(lease, 60);
            view.put(b("/etc/owned-by-root").toByteArray(), b("v"), lease);
            view.endCommand();
            return null;
        });
        RequestAuth alice = as("alice");

        assertFails(EtcdError.PERMISSION_DENIED, () -> check(alice, Command.newBuilder()
                .setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease))));
        assertFails(EtcdError.PERMISSION_DENIED, () -> check(alice, Command.newBuilder()
                .setPut(PutRequest.newBuilder().setKey(b("/app/mine")).setLease(lease))));
        assertThatCode(() -> check(as("root"), Command.newBuilder()
                .setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease)))).doesNotThrowAnyException();
    }

    @Test
    void aUserMayLookUpItselfAndItsOwnRolesOnly() {
        rootAppAndAlice();
        RequestAuth alice = as("alice");
        store.read(view -> {
            assertThatCode(() -> Access.checkUserGet(view, alice, "alice")).doesNotThrowAnyException();
            assertThatCode(() -> Access.checkRoleGet(view, alice, "app")).doesNotThrowAnyException();
            assertFails(EtcdError.PERMISSION_DENIED, () -> Access.checkUserGet(view, alice, "root"));
            assertFails(EtcdError.PERMISSION_DENIED, () -> Access.checkRoleGet(view, alice, "root"));
            return null;
        });
    }

    private void check(RequestAuth auth, Command.Builder command) {
        store.read(view -> {
            Access.checkCommand(view, command.setAuth(auth).build());
            return null;
        });
    }

    private void read(RequestAuth auth, String key, String rangeEnd) {
        store.read(view -> {
            Access.checkRead(view, auth, b(key), b(rangeEnd));
            return null;
        });
    }

    private void txn(RequestAuth auth, TxnRequest txn) {
        check(auth, Command.newBuilder().setTxn(txn));
    }

    private static Command.Builder put(String key) {
        return Command.newBuilder().setPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)));
    }

    private static Command.Builder compact() {
        return Command.newBuilder().setCompaction(CompactionRequest.newBuilder().setRevision(1));
    }
}
