package dev.gantry.reliability.workload;

import io.grpc.stub.StreamObserver;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** The response side of the workload's gRPC streams (watches, keep-alives). */
final class Streams {
    private Streams() {
    }

    /**
     * An observer that hands each response to {@code onNext}, which completes {@code result} once it has what it
     * waits for; a stream that fails or ends first completes {@code result} exceptionally.
     */
    static <T> StreamObserver<T> until(CompletableFuture<?> result, String stream, Consumer<T> onNext) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T response) {
                onNext.accept(response);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.completeExceptionally(new IllegalStateException(stream + " ended"));
            }
        };
    }
}
