package dev.gantry.cli;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.ByteString;

import dev.gantry.job.Keys;
import dev.gantry.kv.api.auth.Permission;
import dev.gantry.kv.api.auth.UserAddOptions;
import dev.gantry.kv.api.etcd.AuthGrpc;
import dev.gantry.kv.api.etcd.AuthRoleAddRequest;
import dev.gantry.kv.api.etcd.AuthRoleGetRequest;
import dev.gantry.kv.api.etcd.AuthRoleGrantPermissionRequest;
import dev.gantry.kv.api.etcd.AuthRoleRevokePermissionRequest;
import dev.gantry.kv.api.etcd.AuthUserAddRequest;
import dev.gantry.kv.api.etcd.AuthUserChangePasswordRequest;
import dev.gantry.kv.api.etcd.AuthUserGetRequest;
import dev.gantry.kv.api.etcd.AuthUserGrantRoleRequest;
import dev.gantry.kv.api.etcd.AuthUserRevokeRoleRequest;
import io.grpc.StatusRuntimeException;

/**
 * The etcd credential of one node's agent: user {@code node-<NODE>} with the one role {@code node-<NODE>}, which
 * permits exactly the keys the agent reads, writes and watches (docs/agent.md, "Credentials"). Making it again
 * makes it so again: a missing permission is granted, one the role should not have is revoked, as are other roles
 * of the user, and a given password replaces the old one.
 */
final class NodeCredential {
    /** Job secrets, which the agent reads when it launches a task that references one. */
    static final String SECRETS = "/secrets/";
    private static final String ROLE_EXISTS = "etcdserver: role name already exists";
    private static final String USER_EXISTS = "etcdserver: user name already exists";

    /** One key permission: a single key, or every key under a prefix. */
    record Grant(Permission.Type type, String key, boolean prefix) {
        Permission permission() {
            return Permission.newBuilder().setPermType(type).setKey(ByteString.copyFromUtf8(key))
                    .setRangeEnd(prefix ? prefixEnd(key) : ByteString.EMPTY).build();
        }

        boolean sameRange(Permission p) {
            Permission mine = permission();
            return p.getKey().equals(mine.getKey()) && p.getRangeEnd().equals(mine.getRangeEnd());
        }

        @Override
        public String toString() {
            return "%-9s %s%s".formatted(type, key, prefix ? " (prefix)" : "");
        }
    }

    private NodeCredential() {
    }

    /** The user (and the role) of a node's agent. */
    static String userOf(String node) {
        return "node-" + node;
    }

    /** What the agent of {@code node} does, key by key (worker-agent: Registration, Assignments, TaskStore). */
    static List<Grant> grants(String node) {
        return List.of(
                // put under its lease, the lease revoked at stop; every task write compares its lease
                new Grant(Permission.Type.READWRITE, Keys.node(node), false),
                // listed and watched; an assignment is deleted in the txn that ends or requeues its task
                new Grant(Permission.Type.READWRITE, Keys.assignments(node), true),
                // a task read and written back: RBAC cannot narrow this to the node's tasks (docs/agent.md)
                new Grant(Permission.Type.READWRITE, Keys.TASKS, true),
                new Grant(Permission.Type.READ, SECRETS, true));
    }

    /**
     * Makes (or makes again) the credential of {@code node}'s agent.
     *
     * @param password the user's password; null: none, the agent authenticates with a client certificate whose
     *                 common name is the user (servers started with --client-cert-auth)
     * @return what was done, one line each
     * @throws StatusRuntimeException as the Auth service refused a call (not root, wrong password, ...)
     */
    static List<String> provision(AuthGrpc.AuthBlockingStub auth, String node, String password) {
        String name = userOf(node);
        List<String> done = new ArrayList<>();
        if (!exists(() -> auth.roleAdd(AuthRoleAddRequest.newBuilder().setName(name).build()), ROLE_EXISTS)) {
            done.add("role " + name + " created");
        }
        List<Grant> wanted = grants(node);
        List<Permission> had = auth.roleGet(AuthRoleGetRequest.newBuilder().setRole(name).build()).getPermList();
        for (Permission permission : had) {
            if (wanted.stream().noneMatch(g -> g.sameRange(permission))) {
                auth.roleRevokePermission(AuthRoleRevokePermissionRequest.newBuilder().setRole(name).setKey(permission.getKey())
                        .setRangeEnd(permission.getRangeEnd()).build());
                done.add("role " + name + ": revoked " + permission.getPermType() + " " + permission.getKey().toStringUtf8()
                        + (permission.getRangeEnd().isEmpty() ? "" : " .. " + permission.getRangeEnd().toStringUtf8()));
            }
        }
        for (Grant grant : wanted) {
            if (!had.contains(grant.permission())) { // granting what it has would only make every client re-authenticate
                auth.roleGrantPermission(AuthRoleGrantPermissionRequest.newBuilder().setName(name).setPerm(grant.permission()).build());
            }
            done.add("role " + name + ": " + grant);
        }
        AuthUserAddRequest.Builder add = AuthUserAddRequest.newBuilder().setName(name);
        if (password == null) {
            add.setOptions(UserAddOptions.newBuilder().setNoPassword(true));
        } else {
            add.setPassword(password);
        }
        if (!exists(() -> auth.userAdd(add.build()), USER_EXISTS)) {
            done.add("user " + name + " created" + (password == null ? " without a password (its client certificate names it)" : ""));
        } else if (password != null) {
            auth.userChangePassword(AuthUserChangePasswordRequest.newBuilder().setName(name).setPassword(password).build());
            done.add("user " + name + ": password changed");
        }
        List<String> roles = auth.userGet(AuthUserGetRequest.newBuilder().setName(name).build()).getRolesList();
        for (String role : roles) {
            if (!role.equals(name)) {
                auth.userRevokeRole(AuthUserRevokeRoleRequest.newBuilder().setName(name).setRole(role).build());
                done.add("user " + name + ": role " + role + " revoked");
            }
        }
        if (!roles.contains(name)) {
            auth.userGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser(name).setRole(name).build());
        }
        done.add("user " + name + ": role " + name);
        return done;
    }

    /** Runs an add; whether it found the name taken already. */
    private static boolean exists(Runnable add, String takenMessage) {
        try {
            add.run();
            return false;
        } catch (StatusRuntimeException e) {
            if (takenMessage.equals(e.getStatus().getDescription())) {
                return true;
            }
            throw e;
        }
    }

    /** etcd's prefix range end: the prefix with its last byte incremented ({@code /tasks/} → {@code /tasks0}). */
    static ByteString prefixEnd(String prefix) {
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        end[end.length - 1]++;
        return ByteString.copyFrom(end);
    }
}
