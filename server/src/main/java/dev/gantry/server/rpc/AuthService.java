package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import io.grpc.ServerServiceDefinition;

import dev.gantry.kv.api.auth.Role;
import dev.gantry.kv.api.auth.User;
import dev.gantry.kv.api.etcd.AuthDisableRequest;
import dev.gantry.kv.api.etcd.AuthDisableResponse;
import dev.gantry.kv.api.etcd.AuthEnableRequest;
import dev.gantry.kv.api.etcd.AuthEnableResponse;
import dev.gantry.kv.api.etcd.AuthRoleAddRequest;
import dev.gantry.kv.api.etcd.AuthRoleAddResponse;
import dev.gantry.kv.api.etcd.AuthRoleDeleteRequest;
import dev.gantry.kv.api.etcd.AuthRoleDeleteResponse;
import dev.gantry.kv.api.etcd.AuthRoleGetRequest;
import dev.gantry.kv.api.etcd.AuthRoleGetResponse;
import dev.gantry.kv.api.etcd.AuthRoleGrantPermissionRequest;
import dev.gantry.kv.api.etcd.AuthRoleGrantPermissionResponse;
import dev.gantry.kv.api.etcd.AuthRoleListRequest;
import dev.gantry.kv.api.etcd.AuthRoleListResponse;
import dev.gantry.kv.api.etcd.AuthRoleRevokePermissionRequest;
import dev.gantry.kv.api.etcd.AuthRoleRevokePermissionResponse;
import dev.gantry.kv.api.etcd.AuthStatusRequest;
import dev.gantry.kv.api.etcd.AuthStatusResponse;
import dev.gantry.kv.api.etcd.AuthUserAddRequest;
import dev.gantry.kv.api.etcd.AuthUserAddResponse;
import dev.gantry.kv.api.etcd.AuthUserChangePasswordRequest;
import dev.gantry.kv.api.etcd.AuthUserChangePasswordResponse;
import dev.gantry.kv.api.etcd.AuthUserDeleteRequest;
import dev.gantry.kv.api.etcd.AuthUserDeleteResponse;
import dev.gantry.kv.api.etcd.AuthUserGetRequest;
import dev.gantry.kv.api.etcd.AuthUserGetResponse;
import dev.gantry.kv.api.etcd.AuthUserGrantRoleRequest;
import dev.gantry.kv.api.etcd.AuthUserGrantRoleResponse;
import dev.gantry.kv.api.etcd.AuthUserListRequest;
import dev.gantry.kv.api.etcd.AuthUserListResponse;
import dev.gantry.kv.api.etcd.AuthUserRevokeRoleRequest;
import dev.gantry.kv.api.etcd.AuthUserRevokeRoleResponse;
import dev.gantry.kv.api.etcd.AuthenticateRequest;
import dev.gantry.kv.api.etcd.AuthenticateResponse;
import dev.gantry.kv.api.etcd.MutinyAuthGrpc;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.RequestAuth;
import dev.gantry.kv.auth.Access;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.MvccView;
import dev.gantry.kv.raft.KvMember;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * etcd's Auth service: enabling auth, Authenticate, users and roles. Changes are Raft entries, checked as they are
 * applied (only root may make them once auth is enabled; {@link Access}); listings and lookups are linearizable
 * reads. A password is hashed here, on the member that takes it, before its entry is proposed. Errors, order of
 * checks and codes are etcd 3.4's.
 */
@GrpcService
public class AuthService extends MutinyAuthGrpc.AuthImplBase {
    @Inject
    KvMember member;

    @Override
    public Uni<AuthEnableResponse> authEnable(AuthEnableRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> change(caller, Command.newBuilder().setAuthEnable(r))
                .thenApply(header -> AuthEnableResponse.newBuilder().setHeader(header).build()));
    }

    @Override
    public Uni<AuthDisableResponse> authDisable(AuthDisableRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> change(caller, Command.newBuilder().setAuthDisable(r))
                .thenApply(header -> AuthDisableResponse.newBuilder().setHeader(header).build()));
    }

    /** Anyone may ask (as in etcd since 3.6); a token sent must still be valid. */
    @Override
    public Uni<AuthStatusResponse> authStatus(AuthStatusRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> read(caller, (view, auth) -> AuthStatusResponse.newBuilder()
                .setHeader(member.header())
                .setEnabled(view.authEnabled())
                .setAuthRevision(view.authRevision())
                .build()));
    }

    @Override
    public Uni<AuthenticateResponse> authenticate(AuthenticateRequest r) {
        return Calls.unary(member, () -> member.auth().authenticate(r.getName(), r.getPassword())
                .thenApply(token -> AuthenticateResponse.newBuilder().setHeader(member.header()).setToken(token).build()));
    }

    /** The password is hashed here unless the user has none ({@code --no-password}); only the hash is proposed. */
    @Override
    public Uni<AuthUserAddResponse> userAdd(AuthUserAddRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.as(member, caller, auth -> {
                    member.auth().check(view -> Access.checkAdmin(view, auth)); // before spending a hash on it
                    CompletableFuture<AuthUserAddRequest> hashed = r.getOptions().getNoPassword()
                            ? CompletableFuture.completedFuture(r.toBuilder().clearPassword().clearHashedPassword().build())
                            : member.auth().hash(r.getPassword())
                                    .thenApply(hash -> r.toBuilder().clearPassword().setHashedPassword(hash).build());
                    return hashed.thenCompose(request -> member.execute(
                            Command.newBuilder().setUserAdd(request).setAuth(auth).build()));
                })
                .thenApply(done -> AuthUserAddResponse.newBuilder().setHeader(member.header()).build()));
    }

    /** Root, or a user asking about itself. */
    @Override
    public Uni<AuthUserGetResponse> userGet(AuthUserGetRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> read(caller, (view, auth) -> {
            Access.checkUserGet(view, auth, r.getName());
            User user = view.user(r.getName());
            if (user == null) {
                throw EtcdError.USER_NOT_FOUND.exception();
            }
            return AuthUserGetResponse.newBuilder().setHeader(member.header()).addAllRoles(user.getRolesList()).build();
        }));
    }

    @Override
    public Uni<AuthUserListResponse> userList(AuthUserListRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> read(caller, (view, auth) -> {
            Access.checkAdmin(view, auth);
            AuthUserListResponse.Builder resp = AuthUserListResponse.newBuilder().setHeader(member.header());
            view.users().forEach(user -> resp.addUsers(user.getName().toStringUtf8()));
            return resp.build();
        }));
    }

    @Override
    public Uni<AuthUserDeleteResponse> userDelete(AuthUserDeleteRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> change(caller, Command.newBuilder().setUserDelete(r))
                .thenApply(header -> AuthUserDeleteResponse.newBuilder().setHeader(header).build()));
    }

    @Override
    public Uni<AuthUserChangePasswordResponse> userChangePassword(AuthUserChangePasswordRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.as(member, caller, auth -> {
                    member.auth().check(view -> Access.checkAdmin(view, auth));
                    return member.auth().hash(r.getPassword())
                            .thenApply(hash -> r.toBuilder().clearPassword().setHashedPassword(hash).build())
                            .thenCompose(request -> member.execute(
                                    Command.newBuilder().setUserChangePassword(request).setAuth(auth).build()));
                })
                .thenApply(done -> AuthUserChangePasswordResponse.newBuilder().setHeader(member.header()).build()));
    }

    @Override
    public Uni<AuthUserGrantRoleResponse> userGrantRole(AuthUserGrantRoleRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> change(caller, Command.newBuilder().setUserGrantRole(r))
                .thenApply(header -> AuthUserGrantRoleResponse.newBuilder().setHeader(header).build()));
    }

    @Override
    public Uni<AuthUserRevokeRoleResponse> userRevokeRole(AuthUserRevokeRoleRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> change(caller, Command.newBuilder().setUserRevokeRole(r))
                .thenApply(header -> AuthUserRevokeRoleResponse.newBuilder().setHeader(header).build()));
    }

    @Override
    public Uni<AuthRoleAddResponse> roleAdd(AuthRoleAddRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> change(caller, Command.newBuilder().setRoleAdd(r))
                .thenApply(header -> AuthRoleAddResponse.newBuilder().setHeader(header).build()));
    }

    /** Root, or a user that has the role. */
    @Override
    public Uni<AuthRoleGetResponse> roleGet(AuthRoleGetRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> read(caller, (view, auth) -> {
            Access.checkRoleGet(view, auth, r.getRole());
            Role role = view.role(r.getRole());
            if (role == null) {
                throw EtcdError.ROLE_NOT_FOUND.exception();
            }
            return AuthRoleGetResponse.newBuilder().setHeader(member.header()).addAllPerm(role.getKeyPermissionList()).build();
        }));
    }

    @Override
    public Uni<AuthRoleListResponse> roleList(AuthRoleListRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> read(caller, (view, auth) -> {
            Access.checkAdmin(view, auth);
            AuthRoleListResponse.Builder resp = AuthRoleListResponse.newBuilder().setHeader(member.header());
            view.roles().forEach(role -> resp.addRoles(role.getName().toStringUtf8()));
            return resp.build();
        }));
    }

    @Override
    public Uni<AuthRoleDeleteResponse> roleDelete(AuthRoleDeleteRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> change(caller, Command.newBuilder().setRoleDelete(r))
                .thenApply(header -> AuthRoleDeleteResponse.newBuilder().setHeader(header).build()));
    }

    @Override
    public Uni<AuthRoleGrantPermissionResponse> roleGrantPermission(AuthRoleGrantPermissionRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> change(caller, Command.newBuilder().setRoleGrantPermission(r))
                .thenApply(header -> AuthRoleGrantPermissionResponse.newBuilder().setHeader(header).build()));
    }

    @Override
    public Uni<AuthRoleRevokePermissionResponse> roleRevokePermission(AuthRoleRevokePermissionRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> change(caller, Command.newBuilder().setRoleRevokePermission(r))
                .thenApply(header -> AuthRoleRevokePermissionResponse.newBuilder().setHeader(header).build()));
    }

    /** An auth change as the caller, through Raft; completes with the header for its response. */
    private CompletableFuture<ResponseHeader> change(Caller caller, Command.Builder command) {
        return Calls.as(member, caller, auth -> member.execute(command.setAuth(auth).build()))
                .thenApply(done -> member.header());
    }

    /** What a read is given: the view, and who asks. */
    private interface Lookup<T> {
        T apply(MvccView view, RequestAuth auth);
    }

    /** A linearizable lookup as the caller. */
    private <T> CompletableFuture<T> read(Caller caller, Lookup<T> lookup) {
        return Calls.as(member, caller, auth -> member.read(true, view -> lookup.apply(view, auth)));
    }

    /** Malformed requests are refused with INVALID_ARGUMENT ({@link MalformedRequests}). */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.lenient(super.bindService());
    }
}
