package dev.gantry.server.rpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import org.jboss.logging.Logger;

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
import dev.gantry.kv.api.etcd.SnapshotRequest;
import dev.gantry.kv.api.etcd.SnapshotResponse;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.api.etcd.StatusResponse;
import dev.gantry.kv.raft.KvMember;
import dev.gantry.kv.snapshot.SnapshotStream;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.groups.GeneratorEmitter;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * etcd's Maintenance service: member-local status (what {@code etcdctl endpoint status} prints), alarms,
 * HashKV (a consistency check across members), Snapshot (what {@code etcdctl snapshot save} saves),
 * Defragment and MoveLeader.
 */
@GrpcService
public class MaintenanceService extends MutinyMaintenanceGrpc.MaintenanceImplBase {
    private static final Logger LOG = Logger.getLogger(MaintenanceService.class);
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

    /**
     * Member-local, as etcd's. The dump is taken and read on worker threads, never the event loop; messages
     * are produced only as fast as the client reads them (Quarkus requests more only while the call is
     * ready), and the dump file is deleted when the stream ends, fails or is cancelled.
     */
    @Override
    public Multi<SnapshotResponse> snapshot(SnapshotRequest request) {
        return Uni.createFrom().completionStage(member::started)
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .onItem().transformToMulti(started -> Multi.createFrom()
                        .<SnapshotStream, SnapshotResponse>resource(this::takeSnapshot, MaintenanceService::messages)
                        .withFinalizer(MaintenanceService::closeQuietly))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure().transform(Calls::toStatus);
    }

    private SnapshotStream takeSnapshot() {
        try {
            return member.snapshot();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take a snapshot: " + e.getMessage(), e);
        }
    }

    /** One message per request from downstream, read from the dump only then. */
    private static Multi<SnapshotResponse> messages(SnapshotStream stream) {
        return Multi.createFrom().<SnapshotStream, SnapshotResponse>generator(() -> stream, MaintenanceService::emitNext);
    }

    private static SnapshotStream emitNext(SnapshotStream stream, GeneratorEmitter<? super SnapshotResponse> out) {
        try {
            SnapshotResponse next = stream.next();
            if (next == null) {
                out.complete();
            } else {
                out.emit(next);
            }
        } catch (IOException e) {
            out.fail(new UncheckedIOException("cannot read the snapshot dump: " + e.getMessage(), e));
        }
        return stream;
    }

    private static void closeQuietly(SnapshotStream stream) {
        try {
            stream.close();
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot delete a snapshot dump", e);
        }
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
