package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.auth.Access;
import dev.gantry.kv.raft.KvMember;
import dev.gantry.kv.watch.WatchStream;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;

/**
 * etcd's Watch service: each call is one {@link WatchStream}. Written against grpc-java's own API for its
 * flow control: responses go out only while the transport is ready, and a client that stops reading makes
 * its watchers fall back to catching up from the store, instead of queueing without bound.
 *
 * <p>With auth enabled, a create the caller may not read is answered as etcd 3.4 does: created and canceled at
 * once, watch ID -1, the error as the cancel reason ({@code rpc error: code = PermissionDenied desc = etcdserver:
 * permission denied}). Requests are handled in arrival order even when a check has to wait.
 */
@GrpcService
public class WatchService extends WatchGrpc.WatchImplBase {
    private static final Logger LOG = Logger.getLogger(WatchService.class);
    @Inject
    KvMember member;

    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
        Caller caller = Caller.current();
        ServerCallStreamObserver<WatchResponse> call = (ServerCallStreamObserver<WatchResponse>) responses;
        WatchStream stream = member.openWatchStream(new WatchStream.Outbound() {
            @Override
            public boolean isReady() {
                return call.isReady() && !call.isCancelled();
            }

            @Override
            public void send(WatchResponse response) {
                call.onNext(response);
            }
        });
        call.setOnReadyHandler(stream::onReady);
        call.setOnCancelHandler(stream::close);
        return new StreamObserver<>() {
            /** The last request's handling: the next one waits for it. */
            private CompletableFuture<Void> handled = CompletableFuture.completedFuture(null);

            @Override
            public synchronized void onNext(WatchRequest request) {
                handled = handled.thenCompose(previous -> handle(request)).exceptionally(error -> {
                    LOG.warn("a watch request failed; closing its stream", error);
                    stream.close();
                    return null;
                });
            }

            private CompletableFuture<Void> handle(WatchRequest request) {
                if (!request.hasCreateRequest()) {
                    stream.onRequest(request);
                    return CompletableFuture.completedFuture(null);
                }
                return authorized(caller, request.getCreateRequest()).handle((permitted, refusal) -> {
                    if (refusal == null) {
                        stream.onRequest(request);
                    } else {
                        stream.refuse(Calls.goText(Calls.toStatus(refusal).getStatus()));
                    }
                    return null;
                });
            }

            @Override
            public void onError(Throwable t) {
                stream.close();
            }

            @Override
            public void onCompleted() {
                // as etcd: a client that half-closes still receives events, until it cancels the call
            }
        };
    }

    /** Completes if the caller may read what the watch would show (on this member's store, as etcd checks it). */
    private CompletableFuture<Void> authorized(Caller caller, WatchCreateRequest create) {
        ByteString key = create.getKey().isEmpty() ? ByteString.copyFrom(new byte[]{0}) : create.getKey();
        return Calls.as(member, caller, auth -> {
            member.auth().check(view -> Access.checkRead(view, auth, key, create.getRangeEnd()));
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Malformed requests are refused with INVALID_ARGUMENT ({@link MalformedRequests}). */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.lenient(super.bindService());
    }
}
