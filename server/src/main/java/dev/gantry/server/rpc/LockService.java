package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import dev.gantry.kv.api.lock.LockGrpc;
import dev.gantry.kv.api.lock.LockRequest;
import dev.gantry.kv.api.lock.LockResponse;
import dev.gantry.kv.api.lock.UnlockRequest;
import dev.gantry.kv.api.lock.UnlockResponse;
import dev.gantry.kv.concurrency.Locks;
import dev.gantry.kv.raft.KvMember;
import io.grpc.stub.StreamObserver;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;

/**
 * etcd's Lock service (what jetcd's Lock client calls); a caller that goes away while waiting leaves the queue.
 * With auth enabled, the caller needs read and write permission on the lock's keys ({@link RecipeAccess}).
 */
@GrpcService
public class LockService extends LockGrpc.LockImplBase {
    @Inject
    KvMember member;
    @Inject
    Locks locks;

    @Override
    public void lock(LockRequest r, StreamObserver<LockResponse> out) {
        Caller caller = Caller.current();
        CompletableFuture<Void> cancelled = Calls.cancellation(out);
        Calls.recipe(member, out, () -> RecipeAccess.queue(member, caller, r.getName(), r.getLease())
                .thenCompose(permitted -> locks.lock(r, cancelled)));
    }

    @Override
    public void unlock(UnlockRequest r, StreamObserver<UnlockResponse> out) {
        Caller caller = Caller.current();
        Calls.recipe(member, out, () -> RecipeAccess.key(member, caller, r.getKey())
                .thenCompose(permitted -> locks.unlock(r)));
    }

    /** Malformed requests are refused with INVALID_ARGUMENT ({@link MalformedRequests}). */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.lenient(super.bindService());
    }
}
