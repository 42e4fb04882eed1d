package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import dev.gantry.kv.api.raft.RequestAuth;
import dev.gantry.kv.auth.Access;
import dev.gantry.kv.mvcc.EtcdException;
import dev.gantry.kv.raft.KvMember;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.smallrye.mutiny.Uni;

/** Runs one unary call at the gRPC edge: checks that throw and asynchronous failures both become etcd's gRPC statuses. */
final class Calls {
    private static final Logger LOG = Logger.getLogger(Calls.class);

    private Calls() {
    }

    /** Runs {@code call} once {@code member} has started (as etcd, which serves nothing before its publish). */
    static <T> Uni<T> unary(KvMember member, Supplier<CompletableFuture<T>> call) {
        return Uni.createFrom().completionStage(() -> member.started().thenCompose(started -> call.get()))
                .onFailure().transform(Calls::toStatus);
    }

    /** {@link #unary} for a service written against grpc-java's own API (the streaming ones). */
    static <T> void unary(KvMember member, StreamObserver<T> out, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> result;
        try {
            result = member.started().thenCompose(started -> call.get());
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        result.whenComplete((response, error) -> {
            if (error != null) {
                out.onError(toStatus(error));
            } else {
                out.onNext(response);
                out.onCompleted();
            }
        });
    }

    /**
     * {@link #unary} for etcd's v3lock and v3election servers, which return whatever error their clientv3
     * calls met as is: gRPC code UNKNOWN with the error's message.
     */
    static <T> void recipe(KvMember member, StreamObserver<T> out, Supplier<CompletableFuture<T>> call) {
        unary(member, new StreamObserver<T>() {
            @Override
            public void onNext(T value) {
                out.onNext(value);
            }

            @Override
            public void onError(Throwable t) {
                Status status = Status.fromThrowable(t);
                out.onError(status.getCode() == Status.Code.CANCELLED || status.getCode() == Status.Code.UNAVAILABLE
                        ? t : Status.UNKNOWN.withDescription(status.getDescription()).asRuntimeException());
            }

            @Override
            public void onCompleted() {
                out.onCompleted();
            }
        }, call);
    }

    /**
     * Runs {@code call} as the caller's user ({@link dev.gantry.kv.auth.Authenticator#as}): with the
     * {@link RequestAuth} its token (or certificate) gives, again if auth changed meanwhile.
     */
    static <T> CompletableFuture<T> as(KvMember member, Caller caller, Function<RequestAuth, CompletableFuture<T>> call) {
        return member.auth().as(caller.token(), caller.certificateUser(), call);
    }

    /**
     * Completes if the caller may do what only root may (with auth disabled, anyone), as this member's store says
     * now; etcd checks these at its API layer too (defragment, snapshot, hashes, membership changes).
     */
    static CompletableFuture<Void> admin(KvMember member, Caller caller) {
        return as(member, caller, auth -> {
            member.auth().check(view -> Access.checkAdmin(view, auth));
            return CompletableFuture.completedFuture(null);
        });
    }

    /** A status as Go's gRPC prints it, which etcd 3.4 puts in a watch's cancel reason and etcdctl shows as is. */
    static String goText(Status status) {
        StringBuilder code = new StringBuilder();
        for (String part : status.getCode().name().split("_")) {
            code.append(part.charAt(0)).append(part.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return "rpc error: code = " + code + " desc = " + status.getDescription();
    }

    /** Completes when the client cancels the call (or goes away). */
    static CompletableFuture<Void> cancellation(StreamObserver<?> out) {
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        ((ServerCallStreamObserver<?>) out).setOnCancelHandler(() -> cancelled.complete(null));
        return cancelled;
    }

    static StatusRuntimeException toStatus(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof EtcdException etcd) {
            return etcd.toStatus();
        }
        if (cause instanceof StatusRuntimeException status) {
            return status;
        }
        if (cause instanceof CancellationException) {
            return Status.CANCELLED.withDescription("context canceled").asRuntimeException();
        }
        LOG.error("unexpected failure serving a request", cause);
        return Status.UNKNOWN.withDescription(String.valueOf(cause.getMessage())).asRuntimeException();
    }
}
