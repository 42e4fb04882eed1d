package dev.gantry.server.rpc;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;

/** Records each call's {@link Caller}: its {@code token} metadata, and the user its client certificate names. */
@GlobalInterceptor
@ApplicationScoped
public class CallerInterceptor implements ServerInterceptor {
    /** etcd's metadata key for the token Authenticate returned (rpctypes.TokenFieldNameGRPC). */
    static final Metadata.Key<String> TOKEN = Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);

    @Inject
    ClientCertificateUser certificates;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Caller caller = new Caller(headers.get(TOKEN), certificates.userOf(call));
        return Contexts.interceptCall(Context.current().withValue(Caller.KEY, caller), call, headers, next);
    }
}
