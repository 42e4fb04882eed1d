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

/**
 * etcd's Election service (what jetcd's Election client calls). With auth enabled, the caller needs permission on
 * the election's keys ({@link RecipeAccess}).
 */
@GrpcService
public class ElectionService extends ElectionGrpc.ElectionImplBase {
    @Inject
    KvMember member;
    @Inject
    Elections elections;

    @Override
    public void campaign(CampaignRequest r, StreamObserver<CampaignResponse> out) {
        Caller caller = Caller.current();
        CompletableFuture<Void> cancelled = Calls.cancellation(out);
        Calls.recipe(member, out, () -> RecipeAccess.queue(member, caller, r.getName(), r.getLease())
                .thenCompose(permitted -> elections.campaign(r, cancelled)));
    }

    @Override
    public void proclaim(ProclaimRequest r, StreamObserver<ProclaimResponse> out) {
        Caller caller = Caller.current();
        Calls.recipe(member, out, () -> RecipeAccess.key(member, caller, r.getLeader().getKey())
                .thenCompose(permitted -> elections.proclaim(r)));
    }

    @Override
    public void leader(LeaderRequest r, StreamObserver<LeaderResponse> out) {
        Caller caller = Caller.current();
        Calls.recipe(member, out, () -> RecipeAccess.observe(member, caller, r.getName())
                .thenCompose(permitted -> elections.leader(r.getName())));
    }

    @Override
    public void resign(ResignRequest r, StreamObserver<ResignResponse> out) {
        Caller caller = Caller.current();
        Calls.recipe(member, out, () -> RecipeAccess.key(member, caller, r.getLeader().getKey())
                .thenCompose(permitted -> elections.resign(r)));
    }

    @Override
    public void observe(LeaderRequest r, StreamObserver<LeaderResponse> out) {
        Caller caller = Caller.current();
        ServerCallStreamObserver<LeaderResponse> call = (ServerCallStreamObserver<LeaderResponse>) out;
        CompletableFuture<AutoCloseable> observation = member.started()
                .thenCompose(started -> RecipeAccess.observe(member, caller, r.getName()))
                .thenApply(permitted -> elections.observe(r.getName(), call::onNext, error -> call.onError(Calls.toStatus(error))));
        observation.exceptionally(refused -> {
            call.onError(Calls.toStatus(refused));
            return null;
        });
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
