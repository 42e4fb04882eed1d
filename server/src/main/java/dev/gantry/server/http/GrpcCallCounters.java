package dev.gantry.server.http;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import jakarta.enterprise.context.ApplicationScoped;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;

/**
 * Counts every gRPC call the way etcd exposes them (go-grpc-prometheus): {@code grpc_server_started_total} and
 * {@code grpc_server_handled_total} by service, method, type and, once handled, status code.
 */
@GlobalInterceptor
@ApplicationScoped
public class GrpcCallCounters implements ServerInterceptor {
    private final Map<String, LongAdder> started = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> handled = new ConcurrentHashMap<>();

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        MethodDescriptor<Q, R> method = call.getMethodDescriptor();
        String labels = "grpc_method=\"" + method.getBareMethodName() + "\",grpc_service=\"" + method.getServiceName()
                + "\",grpc_type=\"" + type(method.getType()) + "\"";
        started.computeIfAbsent(labels, k -> new LongAdder()).increment();
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                handled.computeIfAbsent("grpc_code=\"" + code(status.getCode()) + "\"," + labels, k -> new LongAdder())
                        .increment();
                super.close(status, trailers);
            }
        }, headers);
    }

    /** The counters as Prometheus text. */
    void writeTo(PrometheusText out) {
        out.counters("grpc_server_started_total", "Total number of RPCs started on the server.", snapshot(started));
        out.counters("grpc_server_handled_total", "Total number of RPCs completed on the server, regardless of success or failure.",
                snapshot(handled));
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
        Map<String, Long> copy = new TreeMap<>();
        counters.forEach((labels, n) -> copy.put(labels, n.sum()));
        return copy;
    }

    private static String type(MethodDescriptor.MethodType type) {
        return switch (type) {
            case UNARY -> "unary";
            case CLIENT_STREAMING -> "client_stream";
            case SERVER_STREAMING -> "server_stream";
            default -> "bidi_stream";
        };
    }

    /** gRPC's code names as Go spells them ({@code OK}, {@code NotFound}, {@code DeadlineExceeded}, ...). */
    private static String code(Status.Code code) {
        StringBuilder name = new StringBuilder();
        for (String part : code.name().split("_")) {
            name.append(part.charAt(0)).append(part.substring(1).toLowerCase());
        }
        return code == Status.Code.OK ? "OK" : name.toString();
    }
}
