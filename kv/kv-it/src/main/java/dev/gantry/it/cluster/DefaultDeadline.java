package dev.gantry.it.cluster;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives every call without a deadline one, counted from the moment the call starts, so that a server that never
 * answers fails a test instead of hanging it. ({@code stub.withDeadlineAfter} would count from stub creation.)
 */
public final class DefaultDeadline implements ClientInterceptor {

    private final Duration timeout;

    public DefaultDeadline(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        CallOptions withDeadline = options.getDeadline() == null
                ? options.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
                : options;
        return next.newCall(method, withDeadline);
    }
}
