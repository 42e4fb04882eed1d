package dev.gantry.server.rpc;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;

/**
 * Requests whose bytes are not a message of the method's request type are answered with INVALID_ARGUMENT
 * ({@code malformed etcdserverpb.WatchRequest: <why>}), and the call is closed the regular way.
 *
 * <p>Left to grpc-java, a request that does not parse makes its server close the stream itself, behind the
 * service's back (UNKNOWN, "Application error processing RPC"): on a Watch or LeaseKeepAlive stream that had
 * already been answered, the service may be writing a response from another thread at that moment, and the
 * response's headers then follow the trailers. The client takes that as an HTTP/2 protocol error and drops the
 * whole connection, failing every other call on it with INTERNAL: FuzzIT found it with a Watch progress request
 * followed by garbage. So each service's request marshaller is made {@link #lenient}: bytes it cannot parse
 * become an empty request of the type marked (in an unknown field) with why; this interceptor closes a call
 * that receives one. And it serializes what the service does to its call (grpc-java's ServerCall is not
 * thread-safe): nothing is written after the call is closed.
 */
@GlobalInterceptor
@ApplicationScoped
public class MalformedRequests implements ServerInterceptor {
    /** The highest field number protobuf allows: no etcd message uses it. */
    private static final int MARK = 536_870_911;

    /** The service's definition with request marshallers that never fail: see {@link MalformedRequests}. */
    static ServerServiceDefinition lenient(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<?, ?> wrapped = lenient(method);
            descriptor.addMethod(wrapped.getMethodDescriptor());
            methods.add(wrapped);
        }
        ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(definition::addMethod);
        return definition.build();
    }

    private static <Q, R> ServerMethodDefinition<Q, R> lenient(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor();
        MethodDescriptor.Marshaller<Q> strict = descriptor.getRequestMarshaller();
        if (!(strict instanceof MethodDescriptor.PrototypeMarshaller<Q> typed) || !(typed.getMessagePrototype() instanceof Message)) {
            return method;
        }
        return ServerMethodDefinition.create(descriptor.toBuilder().setRequestMarshaller(new Lenient<>(typed)).build(),
                method.getServerCallHandler());
    }

    /** Parses like the generated marshaller; what it cannot parse becomes a marked empty message. */
    private record Lenient<Q>(MethodDescriptor.PrototypeMarshaller<Q> strict) implements MethodDescriptor.PrototypeMarshaller<Q> {
        @Override
        public InputStream stream(Q value) {
            return strict.stream(value);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Q parse(InputStream stream) {
            try {
                return strict.parse(stream);
            } catch (RuntimeException e) {
                Message prototype = (Message) strict.getMessagePrototype();
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                String why = "malformed " + prototype.getDescriptorForType().getFullName() + ": " + cause.getMessage();
                return (Q) prototype.toBuilder().setUnknownFields(UnknownFieldSet.newBuilder().addField(MARK,
                        UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8(why)).build())
                        .build()).build();
            }
        }

        @Override
        public Q getMessagePrototype() {
            return strict.getMessagePrototype();
        }

        @Override
        public Class<Q> getMessageClass() {
            return strict.getMessageClass();
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Serialized<Q, R> serialized = new Serialized<>(call);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(serialized, headers)) {
            @Override
            public void onMessage(Q message) {
                String malformed = message instanceof Message m && m.getUnknownFields().hasField(MARK)
                        ? m.getUnknownFields().getField(MARK).getLengthDelimitedList().getFirst().toString(StandardCharsets.UTF_8)
                        : null;
                if (malformed != null) {
                    serialized.close(Status.INVALID_ARGUMENT.withDescription(malformed), new Metadata());
                } else if (!serialized.isClosed()) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                if (!serialized.isClosed()) { // a unary call would be served: not once it was refused
                    super.onHalfClose();
                }
            }
        };
    }

    /** The call with its methods serialized, sending nothing once it is closed (as grpc-java's own call refuses to). */
    private static final class Serialized<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private boolean closed;

        Serialized(ServerCall<Q, R> call) {
            super(call);
        }

        synchronized boolean isClosed() {
            return closed;
        }

        @Override
        public synchronized void sendHeaders(Metadata headers) {
            if (closed) {
                throw new IllegalStateException("call is closed");
            }
            super.sendHeaders(headers);
        }

        @Override
        public synchronized void sendMessage(R message) {
            if (closed) {
                throw new IllegalStateException("call is closed");
            }
            super.sendMessage(message);
        }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            if (!closed) {
                closed = true;
                super.close(status, trailers);
            }
        }
    }
}
