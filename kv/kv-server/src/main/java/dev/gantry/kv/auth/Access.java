package dev.gantry.kv.auth;

import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.auth.Permission;
import dev.gantry.kv.api.auth.Role;
import dev.gantry.kv.api.auth.User;
import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.RequestAuth;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.MvccView;

/**
 * Whether a request may do what it asks, decided on a view of the store (etcd's {@code authApplierV3} and
 * {@code isOpPermitted}): writes as their Raft entry is applied, so that every member decides alike; reads on the
 * view they read. With auth disabled everything is permitted. Otherwise a request without a user fails with
 * {@code user name is empty}, one whose token was looked up before the last auth change with {@code revision of
 * auth store is old} (the member looks the token up again and retries), one of an unknown user or outside the
 * user's permissions with {@code permission denied}. The root role may do everything.
 */
public final class Access {
    static final String ROOT = "root";

    private Access() {
    }

    /** The checks a client's command needs before it is applied (commands a member proposes itself carry no auth). */
    public static void checkCommand(MvccView view, Command command) {
        if (!command.hasAuth()) {
            return;
        }
        RequestAuth auth = command.getAuth();
        switch (command.getOpCase()) {
            case PUT -> checkPut(view, auth, command.getPut());
            case DELETE_RANGE -> checkDelete(view, auth, command.getDeleteRange());
            case TXN -> checkTxn(view, auth, command.getTxn());
            case LEASE_REVOKE -> checkLeaseKeys(view, auth, command.getLeaseRevoke().getID());
            case COMPACTION, ALARM, MEMBER_ADD, MEMBER_REMOVE, MEMBER_UPDATE, MEMBER_PROMOTE, AUTH_ENABLE, AUTH_DISABLE,
                 USER_ADD, USER_DELETE, USER_CHANGE_PASSWORD, USER_GRANT_ROLE, USER_REVOKE_ROLE, ROLE_ADD, ROLE_DELETE,
                 ROLE_GRANT_PERMISSION, ROLE_REVOKE_PERMISSION -> checkAdmin(view, auth);
            default -> {
            }
        }
    }

    /** Reading {@code key} (or the range up to {@code rangeEnd}). */
    public static void checkRead(MvccView view, RequestAuth auth, ByteString key, ByteString rangeEnd) {
        Limits limits = limits(view, auth);
        if (limits != null) {
            limits.read(key, rangeEnd);
        }
    }

    /** A put: the key, the keys already on its lease (a lease the user could not revoke may not be used), prev_kv. */
    public static void checkPut(MvccView view, RequestAuth auth, PutRequest r) {
        Limits limits = limits(view, auth);
        if (limits != null) {
                checkPut(view, limits, r);
        }
    }

    public static void checkDelete(MvccView view, RequestAuth auth, DeleteRangeRequest r) {
        Limits limits = limits(view, auth);
        if (limits != null) {
            checkDelete(limits, r);
        }
    }

    /** A txn: every compare is a read; the requests of both branches, nested txns included, as their own kind. */
    public static void checkTxn(MvccView view, RequestAuth auth, TxnRequest r) {
        Limits limits = limits(view, auth);
        if (limits != null) {
            checkTxn(view, limits, r);
        }
    }

    /** Revoking a lease deletes its keys: the user must be allowed to write every one of them. */
    public static void checkLeaseKeys(MvccView view, RequestAuth auth, long leaseId) {
        Limits limits = limits(view, auth);
        if (limits != null) {
            checkLeaseKeys(view, limits, leaseId);
        }
    }

    /**
     * What only root may do (etcd's {@code IsAdminPermitted}): changing auth, compaction, membership, alarms,
     * defragmentation, snapshots and hashes. An unknown user here is {@code user name not found}, as in etcd.
     */
    public static void checkAdmin(MvccView view, RequestAuth auth) {
        if (!view.authEnabled()) {
            return;
        }
        User user = user(view, auth, EtcdError.USER_NOT_FOUND);
        if (!isRoot(user)) {
            throw EtcdError.PERMISSION_DENIED.exception();
        }
    }

    /** UserGet: root, or a user asking about itself. */
    public static void checkUserGet(MvccView view, RequestAuth auth, String name) {
        if (!auth.getUser().equals(name) || auth.getRevision() == 0) {
            checkAdmin(view, auth);
        }
    }

    /** RoleGet: root, or a user that has the role. */
    public static void checkRoleGet(MvccView view, RequestAuth auth, String role) {
        if (!view.authEnabled()) {
            return;
        }
        User user = view.user(auth.getUser());
        if (auth.getRevision() == 0 || user == null || !user.getRolesList().contains(role)) {
            checkAdmin(view, auth);
        }
    }

    static boolean isRoot(User user) {
        return user.getRolesList().contains(ROOT);
    }

    /** What limits the requester: null if nothing does (auth off, or a root user). */
    private static Limits limits(MvccView view, RequestAuth auth) {
        if (!view.authEnabled()) {
            return null;
        }
        User user = user(view, auth, EtcdError.PERMISSION_DENIED);
        if (isRoot(user)) {
            return null;
        }
        List<Permission> granted = new ArrayList<>();
        for (String roleName : user.getRolesList()) {
            Role role = view.role(roleName);
            if (role != null) {
                granted.addAll(role.getKeyPermissionList());
            }
        }
        return new Limits(KeyPermissions.of(granted));
    }

    /** The requesting user, with auth enabled; {@code unknown} when there is no such user. */
    private static User user(MvccView view, RequestAuth auth, EtcdError unknown) {
        if (auth.getRevision() == 0 || auth.getUser().isEmpty()) {
            throw EtcdError.USER_EMPTY.exception();
        }
        if (auth.getRevision() < view.authRevision()) {
            throw EtcdError.AUTH_OLD_REVISION.exception();
        }
        User user = view.user(auth.getUser());
        if (user == null) {
            throw unknown.exception();
        }
        return user;
    }

    private record Limits(KeyPermissions permissions) {
        void read(ByteString key, ByteString rangeEnd) {
            if (!permissions.permitsRead(key, rangeEnd)) {
                throw EtcdError.PERMISSION_DENIED.exception();
            }
        }

        void write(ByteString key, ByteString rangeEnd) {
            if (!permissions.permitsWrite(key, rangeEnd)) {
                throw EtcdError.PERMISSION_DENIED.exception();
            }
        }
    }

    private static void checkPut(MvccView view, Limits limits, PutRequest r) {
        limits.write(r.getKey(), ByteString.EMPTY);
        checkLeaseKeys(view, limits, r.getLease());
        if (r.getPrevKv()) {
            limits.read(r.getKey(), ByteString.EMPTY);
        }
    }

    private static void checkDelete(Limits limits, DeleteRangeRequest r) {
        if (r.getPrevKv()) {
            limits.read(r.getKey(), r.getRangeEnd());
        }
        limits.write(r.getKey(), r.getRangeEnd());
    }

    private static void checkTxn(MvccView view, Limits limits, TxnRequest r) {
        for (Compare c : r.getCompareList()) {
            limits.read(c.getKey(), c.getRangeEnd());
        }
        checkOps(view, limits, r.getSuccessList());
        checkOps(view, limits, r.getFailureList());
    }

    private static void checkOps(MvccView view, Limits limits, List<RequestOp> ops) {
        for (RequestOp op : ops) {
            switch (op.getRequestCase()) {
                case REQUEST_RANGE -> limits.read(op.getRequestRange().getKey(), op.getRequestRange().getRangeEnd());
                case REQUEST_PUT -> checkPut(view, limits, op.getRequestPut());
                case REQUEST_DELETE_RANGE -> checkDelete(limits, op.getRequestDeleteRange());
                case REQUEST_TXN -> checkTxn(view, limits, op.getRequestTxn());
                default -> {
                }
            }
        }
    }

    private static void checkLeaseKeys(MvccView view, Limits limits, long leaseId) {
        if (leaseId == 0) {
            return;
        }
        for (byte[] key : view.leaseKeys(leaseId)) {
            limits.write(ByteString.copyFrom(key), ByteString.EMPTY);
        }
    }
}
