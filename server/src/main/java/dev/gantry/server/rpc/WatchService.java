package dev.gantry.server.rpc;

import jakarta.inject.Inject;

import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
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
 */
@GrpcService
public class WatchService extends WatchGrpc.WatchImplBase {
    @Inject
    KvMember member;

    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
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
            @Override
            public void onNext(WatchRequest request) {
                stream.onRequest(request);
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

    /** Malformed requests are refused with INVALID_ARGUMENT ({@link MalformedRequests}). */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.lenient(super.bindService());
    }
}
