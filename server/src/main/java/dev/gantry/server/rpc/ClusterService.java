package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import dev.gantry.kv.api.etcd.MutinyClusterGrpc;
import dev.gantry.kv.api.etcd.MemberListRequest;
import dev.gantry.kv.api.etcd.MemberListResponse;
import dev.gantry.kv.raft.KvMember;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** etcd's Cluster service: the member list, with the client URLs each member published when it started. */
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
}
