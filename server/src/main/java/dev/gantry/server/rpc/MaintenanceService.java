package dev.gantry.server.rpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import dev.gantry.kv.api.etcd.AlarmMember;
import org.jboss.logging.Logger;

import dev.gantry.kv.api.etcd.AlarmRequest;
import dev.gantry.kv.api.etcd.AlarmResponse;
import dev.gantry.kv.api.etcd.AlarmType;
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
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.mvcc.AlarmApplier;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.raft.KvMember;
import dev.gantry.kv.snapshot.SnapshotStream;
import io.grpc.Status;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.groups.GeneratorEmitter;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * etcd's Maintenance service: member-local status (what {@code etcdctl endpoint status} prints), alarms,
 * HashKV (a consistency check across members), Snapshot (what {@code etcdctl snapshot save} saves),
 * Defragment and MoveLeader. With auth enabled, all but Status and listing alarms are root's.
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
            StatusResponse.Builder status = StatusResponse.newBuilder()
                    .setHeader(member.header())
                    .setVersion(ETCD_API_VERSION)
                    .setDbSize(dbSize)
                    .setDbSizeInUse(dbSize)
                    .setLeader(member.leaderId())
                    .setRaftIndex(member.committedIndex())
                    .setRaftTerm(member.raftTerm())
                    .setRaftAppliedIndex(member.appliedIndex())
                    .setIsLearner(member.isLearner());
            if (status.getLeader() == 0) {
                status.addErrors(EtcdError.NO_LEADER.message());
            }
            member.alarms().forEach(alarm -> status.addErrors(text(alarm)));
            return CompletableFuture.completedFuture(status.build());
        });
    }

    /**
     * An alarm as etcd lists it in Status errors (which {@code etcdctl endpoint status} prints): Go's compact
     * protobuf text, {@code memberID:3319814642761637952 alarm:NOSPACE } (the ID in decimal), zero values left out.
     */
    private static String text(AlarmMember alarm) {
        StringBuilder text = new StringBuilder();
        if (alarm.getMemberID() != 0) {
            text.append("memberID:").append(Long.toUnsignedString(alarm.getMemberID())).append(' ');
        }
        if (alarm.getAlarm() != AlarmType.NONE) {
            text.append("alarm:").append(alarm.getAlarm().name()).append(' ');
        }
        return text.toString();
    }

    @Override
    public Uni<HashKVResponse> hashKV(HashKVRequest request) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.admin(member, caller).thenCompose(admitted -> member.read(true, view -> HashKVResponse.newBuilder()
                        .setHash(view.hashKv(request.getRevision()))
                        .setCompactRevision(view.compactRevision())
                        .setHashRevision(request.getRevision() > 0 ? request.getRevision() : view.readRevision())
                        .setHeader(member.header(view.readRevision()))
                        .build())));
    }

    @Override
    public Uni<HashResponse> hash(HashRequest request) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.admin(member, caller).thenCompose(admitted -> member.read(true, view ->
                HashResponse.newBuilder().setHash(view.hashKv(0)).setHeader(member.header(view.readRevision())).build())));
    }

    /**
     * Member-local, as etcd's. The dump is taken and read on worker threads, never the event loop; messages
     * are produced only as fast as the client reads them (Quarkus requests more only while the call is
     * ready), and the dump file is deleted when the stream ends, fails or is cancelled.
     */
    @Override
    public Multi<SnapshotResponse> snapshot(SnapshotRequest request) {
        Caller caller = Caller.current();
        return Uni.createFrom().completionStage(() -> member.started().thenCompose(started -> Calls.admin(member, caller)))
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
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.admin(member, caller).thenCompose(admitted -> member.defragment())
                .thenApply(done -> DefragmentResponse.newBuilder().setHeader(member.header()).build()));
    }

    @Override
    public Uni<MoveLeaderResponse> moveLeader(MoveLeaderRequest request) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> Calls.admin(member, caller)
                .thenCompose(admitted -> member.moveLeader(request.getTargetID()))
                .thenApply(moved -> MoveLeaderResponse.newBuilder().setHeader(member.header()).build()));
    }

    /**
     * GET lists the alarms of a type (all for NONE; the member ID is ignored, as by etcd) after a read-index
     * round; ACTIVATE and DEACTIVATE go through Raft. {@code etcdctl alarm disarm} lists, then deactivates
     * each alarm listed.
     */
    @Override
    public Uni<AlarmResponse> alarm(AlarmRequest request) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> switch (request.getAction()) {
            case GET -> member.read(true, view -> AlarmApplier.list(view, request.getAlarm())).thenApply(alarms ->
                    AlarmResponse.newBuilder().setHeader(member.header()).addAllAlarms(alarms).build());
            case ACTIVATE, DEACTIVATE -> {
                checkAlarmType(request);
                yield Calls.as(member, caller, auth -> member.execute(Command.newBuilder().setAlarm(request).setAuth(auth).build()))
                        .thenApply(result -> result.getAlarm().toBuilder()
                                .setHeader(member.header(result.getAlarm().getHeader().getRevision())).build());
            }
            default -> throw Status.INVALID_ARGUMENT.withDescription("unknown alarm action " + request.getActionValue())
                    .asRuntimeException();
        });
    }

    /** An alarm raised must be one etcd knows; clearing one that is not there does nothing, as in etcd. */
    private static void checkAlarmType(AlarmRequest request) {
        boolean known = request.getAlarm() == AlarmType.NOSPACE || request.getAlarm() == AlarmType.CORRUPT;
        boolean clearingNone = request.getAction() == AlarmRequest.AlarmAction.DEACTIVATE
                && request.getAlarm() == AlarmType.NONE;
        if (!known && !clearingNone) {
            throw Status.INVALID_ARGUMENT.withDescription("alarm type must be NOSPACE or CORRUPT, got "
                    + request.getAlarmValue()).asRuntimeException();
        }
    }

    /** Malformed requests are refused with INVALID_ARGUMENT ({@link MalformedRequests}). */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.lenient(super.bindService());
    }
}
