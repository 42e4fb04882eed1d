package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import dev.gantry.kv.api.etcd.AlarmRequest;
import dev.gantry.kv.api.etcd.AlarmResponse;
import dev.gantry.kv.api.etcd.DefragmentRequest;
import dev.gantry.kv.api.etcd.DefragmentResponse;
import dev.gantry.kv.api.etcd.HashKVRequest;
import dev.gantry.kv.api.etcd.HashKVResponse;
import dev.gantry.kv.api.etcd.HashRequest;
import dev.gantry.kv.api.etcd.HashResponse;
import dev.gantry.kv.api.etcd.MoveLeaderRequest;
import dev.gantry.kv.api.etcd.MoveLeaderResponse;
import dev.gantry.kv.api.etcd.MutinyMaintenanceGrpc;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.api.etcd.StatusResponse;
import dev.gantry.kv.raft.KvMember;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * etcd's Maintenance service: member-local status (what {@code etcdctl endpoint status} prints), alarms,
 * HashKV (a consistency check across members), Defragment and MoveLeader.
 */
@GrpcService
public class MaintenanceService extends MutinyMaintenanceGrpc.MaintenanceImplBase {
    /** The etcd API version Gantry speaks, reported where etcd reports its server version. */
    public static final String ETCD_API_VERSION = "3.4.0";

    @Inject
    KvMember member;

    @Override
    public Uni<StatusResponse> status(StatusRequest request) {
        return Calls.unary(member, () -> {
            long dbSize = member.dbSize();
            return CompletableFuture.completedFuture(StatusResponse.newBuilder()
                    .setHeader(member.header())
                    .setVersion(ETCD_API_VERSION)
                    .setDbSize(dbSize)
                    .setDbSizeInUse(dbSize)
                    .setLeader(member.leaderId())
                    .setRaftIndex(member.committedIndex())
                    .setRaftTerm(member.raftTerm())
                    .setRaftAppliedIndex(member.appliedIndex())
                    .setIsLearner(member.isLearner())
                    .build());
        });
    }

    @Override
    public Uni<HashKVResponse> hashKV(HashKVRequest request) {
        return Calls.unary(member, () -> member.read(true, view -> HashKVResponse.newBuilder()
                        .setHash(view.hashKv(request.getRevision()))
                        .setCompactRevision(view.compactRevision())
                        .setHashRevision(request.getRevision() > 0 ? request.getRevision() : view.readRevision())
                        .setHeader(member.header(view.readRevision()))
                        .build()));
    }

    @Override
    public Uni<HashResponse> hash(HashRequest request) {
        return Calls.unary(member, () -> member.read(true, view -> HashResponse.newBuilder()
                .setHash(view.hashKv(0)).setHeader(member.header(view.readRevision())).build()));
    }

    /** Member-local, as etcd's: Xodus reclaims obsolete log files (compaction alone never shrinks the files). */
    @Override
    public Uni<DefragmentResponse> defragment(DefragmentRequest request) {
        return Calls.unary(member, () -> {
            member.defragment();
            return CompletableFuture.completedFuture(DefragmentResponse.newBuilder().setHeader(member.header()).build());
        });
    }

    @Override
    public Uni<MoveLeaderResponse> moveLeader(MoveLeaderRequest request) {
        return Calls.unary(member, () -> member.moveLeader(request.getTargetID())
                .thenApply(moved -> MoveLeaderResponse.newBuilder().setHeader(member.header()).build()));
    }

    @Override
    public Uni<AlarmResponse> alarm(AlarmRequest request) {
        if (request.getAction() != AlarmRequest.AlarmAction.GET) {
            return Uni.createFrom().failure(Status.UNIMPLEMENTED
                    .withDescription("alarm activate/deactivate is not supported by this version").asRuntimeException());
        }
        // No alarm can be raised yet (the space quota arrives with maintenance support).
        return Calls.unary(member, () -> CompletableFuture.completedFuture(AlarmResponse.newBuilder().setHeader(member.header()).build()));
    }
}
