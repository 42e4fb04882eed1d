package dev.gantry.reliability.fuzz;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Calls any gRPC method with raw bytes as its request messages, whatever its type (unary or streaming), with a
 * deadline on every call, and reports how the call ended.
 */
public final class RawCaller {

    /** How a call ended: its status, and whether it ended within the deadline at all. */
    public record Ending(Status status, int responses) {
        public boolean timedOut() {
            return status.getCode() == Status.Code.DEADLINE_EXCEEDED;
        }
    }

    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private RawCaller() {
    }

    /** The same method (name and type) with byte[] for its request and response. */
    public static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setFullMethodName(method.getFullMethodName())
                .setType(method.getType())
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
    }

    /**
     * Sends {@code messages} (one for unary and server-streaming methods), half-closes, and waits for the end,
     * cancelling at {@code deadlineMillis}. A streaming call that is still open then ends with DEADLINE_EXCEEDED.
     */
    public static Ending call(Channel channel, MethodDescriptor<byte[], byte[]> method, List<byte[]> messages,
            long deadlineMillis) {
        ClientCall<byte[], byte[]> call = channel.newCall(method,
                CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS));
        CompletableFuture<Status> ended = new CompletableFuture<>();
        int[] responses = {0};
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                responses[0]++;
                call.request(1);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                ended.complete(status);
            }
        }, new Metadata());
        call.request(1);
        boolean single = method.getType().clientSendsOneMessage();
        for (byte[] message : single ? messages.subList(0, 1) : messages) {
            call.sendMessage(message);
        }
        call.halfClose();
        try {
            Status status = ended.get(deadlineMillis + 5_000, TimeUnit.MILLISECONDS);
            return new Ending(status, responses[0]); // the future's completion orders the listener's writes before
        } catch (Exception e) {
            call.cancel("client gave up", e);
            return new Ending(Status.DEADLINE_EXCEEDED.withDescription("no end 5 s after the deadline: " + e), responses[0]);
        }
    }
}
