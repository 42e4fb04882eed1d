package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import dev.gantry.kv.api.etcd.MemberAddRequest;
import dev.gantry.kv.api.etcd.MemberAddResponse;
import dev.gantry.kv.api.etcd.MemberListRequest;
import dev.gantry.kv.api.etcd.MemberListResponse;
import dev.gantry.kv.api.etcd.MemberPromoteRequest;
import dev.gantry.kv.api.etcd.MemberPromoteResponse;
import dev.gantry.kv.api.etcd.MemberRemoveRequest;
import dev.gantry.kv.api.etcd.MemberRemoveResponse;
import dev.gantry.kv.api.etcd.MemberUpdateRequest;
import dev.gantry.kv.api.etcd.MemberUpdateResponse;
import dev.gantry.kv.api.etcd.MutinyClusterGrpc;
import dev.gantry.kv.raft.KvMember;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * etcd's Cluster service. Membership changes are Raft entries; each answer lists the members as they were right
 * after the change was applied. With auth enabled, only root may change membership (checked here, as etcd does).
 */
@GrpcService
public class ClusterService extends MutinyClusterGrpc.ClusterImplBase {
    @Inject
    KvMember member;

    @Override
    public Uni<MemberListResponse> memberList(MemberListRequest request) {
        return Calls.unary(member, () -> {
            CompletableFuture<Void> ready = request.getLinearizable()
                    ? member.read(true, view -> null)
                    : CompletableFuture.completedFuture(null);
            return ready.thenApply(ignored -> MemberListResponse.newBuilder()
                    .setHeader(member.header())
                    .addAllMembers(member.members())
                    .build());
        });
    }

    @Override
    public Uni<MemberAddResponse> memberAdd(MemberAddRequest request) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.admin(member, caller)
                .thenCompose(admitted -> member.addMember(request.getPeerURLsList(), request.getIsLearner()))
                .thenApply(added -> MemberAddResponse.newBuilder()
                        .setHeader(member.header())
                        .setMember(added.member())
                        .addAllMembers(added.members())
                        .build()));
    }

    @Override
    public Uni<MemberRemoveResponse> memberRemove(MemberRemoveRequest request) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.admin(member, caller)
                .thenCompose(admitted -> member.removeMember(request.getID()))
                .thenApply(change -> MemberRemoveResponse.newBuilder()
                        .setHeader(member.header()).addAllMembers(change.members()).build()));
    }

    @Override
    public Uni<MemberUpdateResponse> memberUpdate(MemberUpdateRequest request) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.admin(member, caller)
                .thenCompose(admitted -> member.updateMember(request.getID(), request.getPeerURLsList()))
                .thenApply(change -> MemberUpdateResponse.newBuilder()
                        .setHeader(member.header()).addAllMembers(change.members()).build()));
    }

    @Override
    public Uni<MemberPromoteResponse> memberPromote(MemberPromoteRequest request) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.admin(member, caller)
                .thenCompose(admitted -> member.promoteMember(request.getID()))
                .thenApply(change -> MemberPromoteResponse.newBuilder()
                        .setHeader(member.header()).addAllMembers(change.members()).build()));
    }

    /** Malformed requests are refused with INVALID_ARGUMENT ({@link MalformedRequests}). */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.lenient(super.bindService());
    }
}
