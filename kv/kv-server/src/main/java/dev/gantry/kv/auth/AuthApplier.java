package dev.gantry.kv.auth;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.auth.Permission;
import dev.gantry.kv.api.auth.Role;
import dev.gantry.kv.api.auth.User;
import dev.gantry.kv.api.auth.UserAddOptions;
import dev.gantry.kv.api.etcd.AuthRoleGrantPermissionRequest;
import dev.gantry.kv.api.etcd.AuthRoleRevokePermissionRequest;
import dev.gantry.kv.api.etcd.AuthUserAddRequest;
import dev.gantry.kv.api.etcd.AuthUserChangePasswordRequest;
import dev.gantry.kv.api.etcd.AuthUserGrantRoleRequest;
import dev.gantry.kv.api.etcd.AuthUserRevokeRoleRequest;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.IssueToken;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.MvccView;

/**
 * etcd's auth store operations over a write {@link MvccView} (users, roles, permissions, enabling), with etcd
 * 3.4's rules and errors. Each change moves the auth revision on by one; what it does to the tokens members keep in
 * memory is collected for the state machine. Every check runs before the first write. Passwords arrive hashed.
 */
public final class AuthApplier {
    private static final Comparator<Permission> BY_KEY = (a, b) -> ByteString.unsignedLexicographicalComparator()
            .compare(a.getKey(), b.getKey());

    private AuthApplier() {
    }

    /** Applies an auth command (its permission was checked by {@link Access#checkCommand}). */
    public static void apply(MvccView view, Command command, List<TokenChange> tokens) {
        switch (command.getOpCase()) {
            case AUTH_ENABLE -> enable(view);
            case AUTH_DISABLE -> disable(view, tokens);
            case ISSUE_TOKEN -> issue(view, command.getIssueToken(), tokens);
            case USER_ADD -> addUser(view, command.getUserAdd());
            case USER_DELETE -> deleteUser(view, command.getUserDelete().getName(), tokens);
            case USER_CHANGE_PASSWORD -> changePassword(view, command.getUserChangePassword(), tokens);
            case USER_GRANT_ROLE -> grantRole(view, command.getUserGrantRole());
            case USER_REVOKE_ROLE -> revokeRole(view, command.getUserRevokeRole());
            case ROLE_ADD -> addRole(view, command.getRoleAdd().getName());
            case ROLE_DELETE -> deleteRole(view, command.getRoleDelete().getRole());
            case ROLE_GRANT_PERMISSION -> grantPermission(view, command.getRoleGrantPermission());
            case ROLE_REVOKE_PERMISSION -> revokePermission(view, command.getRoleRevokePermission());
            default -> throw new IllegalArgumentException("not an auth command: " + command.getOpCase());
        }
    }

    /** Needs a root user with the root role; enabling twice does nothing (and, as in etcd, moves no revision). */
    private static void enable(MvccView view) {
        if (view.authEnabled()) {
            return;
        }
        User root = view.user(Access.ROOT);
        if (root == null) {
            throw EtcdError.ROOT_USER_NOT_EXIST.exception();
        }
        if (!Access.isRoot(root)) {
            throw EtcdError.ROOT_ROLE_NOT_EXIST.exception();
        }
        view.setAuthEnabled(true);
    }

    private static void disable(MvccView view, List<TokenChange> tokens) {
        if (!view.authEnabled()) {
            return;
        }
        view.setAuthEnabled(false);
        view.bumpAuthRevision();
        tokens.add(TokenChange.allRevoked());
    }

    /** The member that checked the password proposed this; if auth changed since, it checks again. */
    private static void issue(MvccView view, IssueToken r, List<TokenChange> tokens) {
        if (!view.authEnabled()) {
            throw EtcdError.AUTH_NOT_ENABLED.exception();
        }
        if (view.authRevision() != r.getCheckedRevision()) {
            throw EtcdError.AUTH_OLD_REVISION.exception();
        }
        if (view.user(r.getUser()) == null) {
            throw EtcdError.AUTH_FAILED.exception();
        }
        tokens.add(TokenChange.issued(r.getUser(), r.getTokenSha256()));
    }

    private static void addUser(MvccView view, AuthUserAddRequest r) {
        if (r.getName().isEmpty()) {
            throw EtcdError.USER_EMPTY.exception();
        }
        if (view.user(r.getName()) != null) {
            throw EtcdError.USER_ALREADY_EXIST.exception();
        }
        boolean noPassword = r.getOptions().getNoPassword();
        view.putUser(User.newBuilder()
                .setName(ByteString.copyFromUtf8(r.getName()))
                .setPassword(noPassword ? ByteString.EMPTY : ByteString.copyFrom(r.getHashedPassword(), StandardCharsets.US_ASCII))
                .setOptions(UserAddOptions.newBuilder().setNoPassword(noPassword))
                .build());
        view.bumpAuthRevision();
    }

    private static void deleteUser(MvccView view, String name, List<TokenChange> tokens) {
        if (view.authEnabled() && name.equals(Access.ROOT)) {
            throw EtcdError.INVALID_AUTH_MGMT.exception();
        }
        if (view.user(name) == null) {
            throw EtcdError.USER_NOT_FOUND.exception();
        }
        view.deleteUser(name);
        view.bumpAuthRevision();
        tokens.add(TokenChange.userRevoked(name));
    }

    private static void changePassword(MvccView view, AuthUserChangePasswordRequest r, List<TokenChange> tokens) {
        User user = view.user(r.getName());
        if (user == null) {
            throw EtcdError.USER_NOT_FOUND.exception();
        }
        view.putUser(user.toBuilder()
                .setPassword(ByteString.copyFrom(r.getHashedPassword(), StandardCharsets.US_ASCII)).build());
        view.bumpAuthRevision();
        tokens.add(TokenChange.userRevoked(r.getName()));
    }

    /** The root role needs no RoleAdd (etcdctl's {@code auth enable} grants it); granting a role twice does nothing. */
    private static void grantRole(MvccView view, AuthUserGrantRoleRequest r) {
        User user = view.user(r.getUser());
        if (user == null) {
            throw EtcdError.USER_NOT_FOUND.exception();
        }
        if (!r.getRole().equals(Access.ROOT) && view.role(r.getRole()) == null) {
            throw EtcdError.ROLE_NOT_FOUND.exception();
        }
        if (user.getRolesList().contains(r.getRole())) {
            return;
        }
        List<String> roles = new ArrayList<>(user.getRolesList());
        roles.add(r.getRole());
        roles.sort(null);
        view.putUser(user.toBuilder().clearRoles().addAllRoles(roles).build());
        view.bumpAuthRevision();
    }

    private static void revokeRole(MvccView view, AuthUserRevokeRoleRequest r) {
        if (view.authEnabled() && r.getName().equals(Access.ROOT) && r.getRole().equals(Access.ROOT)) {
            throw EtcdError.INVALID_AUTH_MGMT.exception();
        }
        User user = view.user(r.getName());
        if (user == null) {
            throw EtcdError.USER_NOT_FOUND.exception();
        }
        if (!user.getRolesList().contains(r.getRole())) {
            throw EtcdError.ROLE_NOT_GRANTED.exception();
        }
        List<String> roles = new ArrayList<>(user.getRolesList());
        roles.remove(r.getRole());
        view.putUser(user.toBuilder().clearRoles().addAllRoles(roles).build());
        view.bumpAuthRevision();
    }

    private static void addRole(MvccView view, String name) {
        if (name.isEmpty()) {
            throw EtcdError.ROLE_EMPTY.exception();
        }
        if (view.role(name) != null) {
            throw EtcdError.ROLE_ALREADY_EXIST.exception();
        }
        view.putRole(Role.newBuilder().setName(ByteString.copyFromUtf8(name)).build());
        view.bumpAuthRevision();
    }

    /** Also takes the role away from every user that has it, as etcd does. */
    private static void deleteRole(MvccView view, String name) {
        if (view.authEnabled() && name.equals(Access.ROOT)) {
            throw EtcdError.INVALID_AUTH_MGMT.exception();
        }
        if (view.role(name) == null) {
            throw EtcdError.ROLE_NOT_FOUND.exception();
        }
        view.deleteRole(name);
        for (User user : view.users()) {
            if (user.getRolesList().contains(name)) {
                List<String> roles = new ArrayList<>(user.getRolesList());
                roles.remove(name);
                view.putUser(user.toBuilder().clearRoles().addAllRoles(roles).build());
            }
        }
        view.bumpAuthRevision();
    }

    /** A permission on the same key and range end as one the role has replaces its type; others are kept by key. */
    private static void grantPermission(MvccView view, AuthRoleGrantPermissionRequest r) {
        Role role = view.role(r.getName());
        if (role == null) {
            throw EtcdError.ROLE_NOT_FOUND.exception();
        }
        Permission granted = r.getPerm();
        List<Permission> permissions = new ArrayList<>(role.getKeyPermissionList());
        permissions.removeIf(p -> p.getKey().equals(granted.getKey()) && p.getRangeEnd().equals(granted.getRangeEnd()));
        permissions.add(granted);
        permissions.sort(BY_KEY);
        view.putRole(role.toBuilder().clearKeyPermission().addAllKeyPermission(permissions).build());
        view.bumpAuthRevision();
    }

    private static void revokePermission(MvccView view, AuthRoleRevokePermissionRequest r) {
        Role role = view.role(r.getRole());
        if (role == null) {
            throw EtcdError.ROLE_NOT_FOUND.exception();
        }
        List<Permission> permissions = new ArrayList<>(role.getKeyPermissionList());
        if (!permissions.removeIf(p -> p.getKey().equals(r.getKey()) && p.getRangeEnd().equals(r.getRangeEnd()))) {
            throw EtcdError.PERMISSION_NOT_GRANTED.exception();
        }
        view.putRole(role.toBuilder().clearKeyPermission().addAllKeyPermission(permissions).build());
        view.bumpAuthRevision();
    }
}
