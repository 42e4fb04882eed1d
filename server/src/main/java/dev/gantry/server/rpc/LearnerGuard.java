package dev.gantry.server.rpc;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.raft.KvMember;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;

/**
 * A learner serves only Status and serializable Range, as in etcd: it is not a voter, so it can neither confirm
 * a read index nor stand for the cluster; everything else is refused with {@code etcdserver: rpc not supported
 * for learner}, and clients move to another member.
 */
@GlobalInterceptor
@ApplicationScoped
public class LearnerGuard implements ServerInterceptor {
    @Inject
    KvMember member;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!call.getMethodDescriptor().getFullMethodName().startsWith("etcdserverpb.") || !member.isLearner()) {
            return next.startCall(call, headers);
        }
        if (call.getMethodDescriptor().getType() != MethodDescriptor.MethodType.UNARY) {
            call.close(refusal(), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (message instanceof StatusRequest || message instanceof RangeRequest range && range.getSerializable()) {
                    super.onMessage(message);
                } else {
                    refused = true;
                    call.close(refusal(), new Metadata());
                }
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }

    private static Status refusal() {
        EtcdError error = EtcdError.NOT_SUPPORTED_FOR_LEARNER;
        return Status.fromCode(error.code()).withDescription(error.message());
    }
}
