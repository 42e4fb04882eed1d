package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import dev.gantry.kv.api.election.CampaignRequest;
import dev.gantry.kv.api.election.CampaignResponse;
import dev.gantry.kv.api.election.ElectionGrpc;
import dev.gantry.kv.api.election.LeaderRequest;
import dev.gantry.kv.api.election.LeaderResponse;
import dev.gantry.kv.api.election.ProclaimRequest;
import dev.gantry.kv.api.election.ProclaimResponse;
import dev.gantry.kv.api.election.ResignRequest;
import dev.gantry.kv.api.election.ResignResponse;
import dev.gantry.kv.concurrency.Elections;
import dev.gantry.kv.raft.KvMember;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;

/** etcd's Election service (what jetcd's Election client calls). */
@GrpcService
public class ElectionService extends ElectionGrpc.ElectionImplBase {
    @Inject
    KvMember member;
    @Inject
    Elections elections;

    @Override
    public void campaign(CampaignRequest r, StreamObserver<CampaignResponse> out) {
        CompletableFuture<Void> cancelled = Calls.cancellation(out);
        Calls.recipe(member, out, () -> elections.campaign(r, cancelled));
    }

    @Override
    public void proclaim(ProclaimRequest r, StreamObserver<ProclaimResponse> out) {
        Calls.recipe(member, out, () -> elections.proclaim(r));
    }

    @Override
    public void leader(LeaderRequest r, StreamObserver<LeaderResponse> out) {
        Calls.recipe(member, out, () -> elections.leader(r.getName()));
    }

    @Override
    public void resign(ResignRequest r, StreamObserver<ResignResponse> out) {
        Calls.recipe(member, out, () -> elections.resign(r));
    }

    @Override
    public void observe(LeaderRequest r, StreamObserver<LeaderResponse> out) {
        ServerCallStreamObserver<LeaderResponse> call = (ServerCallStreamObserver<LeaderResponse>) out;
        CompletableFuture<AutoCloseable> observation = member.started().thenApply(started -> elections.observe(
                r.getName(), call::onNext, error -> call.onError(Calls.toStatus(error))));
        call.setOnCancelHandler(() -> observation.thenAccept(o -> {
            try {
                o.close();
            } catch (Exception ignored) {
                // closing an observation only cancels watches
            }
        }));
    }

    /** Malformed requests are refused with INVALID_ARGUMENT ({@link MalformedRequests}). */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.lenient(super.bindService());
    }
}
