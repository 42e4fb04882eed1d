package dev.gantry.kv.raft;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.ratis.thirdparty.io.grpc.CallOptions;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.MethodDescriptor;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerServiceDefinition;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException;
import org.apache.ratis.thirdparty.io.grpc.stub.ClientCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.ServerCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;
import org.apache.ratis.thirdparty.com.google.common.util.concurrent.ListenableFuture;

import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;

import dev.gantry.kv.api.etcd.LeaseTimeToLiveRequest;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveResponse;
import dev.gantry.kv.api.raft.AdmitRequest;
import dev.gantry.kv.api.raft.AdmitResponse;
import dev.gantry.kv.api.raft.BatchResult;
import dev.gantry.kv.api.raft.ClusterInfo;
import dev.gantry.kv.api.raft.ClusterInfoRequest;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.api.raft.KeepAliveBatch;
import dev.gantry.kv.api.raft.KeepAliveTtls;
import dev.gantry.kv.api.raft.ReadIndexRequest;
import dev.gantry.kv.api.raft.ReadIndexResponse;
import dev.gantry.kv.mvcc.EtcdException;

/**
 * Followers forward client writes to the leader's {@link Proposer}, as etcd followers forward proposals:
 * the leader then packs the writes of every member into its Raft entries, which makes batches (and so
 * throughput) several times larger than if each member proposed its own. The service runs on the Raft
 * peer port, inside Ratis's gRPC server; messages are our protobufs as plain bytes, since Ratis's gRPC is
 * shaded. Lease keep-alives and time-to-live queries travel the same way: only the leader runs lease clocks.
 * So does a follower's question for the read index of a linearizable read: only the leader can confirm it leads.
 * So do the questions of a member joining the cluster: what the cluster is, and (to the leader) "admit me".
 * Any member answers a Ping, by which its peers measure their round-trip time to it ({@link PeerProber}).
 */
final class Forwarding implements AutoCloseable {
    /** The leader answers this when it has lost leadership before proposing anything: safe to send elsewhere. */
    static final Status NOT_LEADER = Status.FAILED_PRECONDITION.withDescription("gantry: not the leader");

    private static final MethodDescriptor<byte[], byte[]> PROPOSE = method("Propose");
    private static final MethodDescriptor<byte[], byte[]> KEEP_ALIVE = method("LeaseKeepAlive");
    private static final MethodDescriptor<byte[], byte[]> TIME_TO_LIVE = method("LeaseTimeToLive");
    private static final MethodDescriptor<byte[], byte[]> CLUSTER_INFO = method("ClusterInfo");
    private static final MethodDescriptor<byte[], byte[]> ADMIT = method("Admit");
    private static final MethodDescriptor<byte[], byte[]> PING = method("Ping");
    private static final MethodDescriptor<byte[], byte[]> READ_INDEX = method("ReadIndex");

    /** What only the leader can answer about leases (their expiry clocks run there). */
    interface LeaderLeases {
        CompletableFuture<KeepAliveTtls> keepAlive(KeepAliveBatch batch);

        CompletableFuture<LeaseTimeToLiveResponse> timeToLive(LeaseTimeToLiveRequest request);
    }

    /** What members joining the cluster ask: any member describes the cluster, the leader admits them. */
    interface Joining {
        ClusterInfo clusterInfo();

        CompletableFuture<AdmitResponse> admit(AdmitRequest request);
    }

    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final long timeoutMs;
    private final PeerTls tls;

    Forwarding(long timeoutMs, PeerTls tls) {
        this.timeoutMs = timeoutMs;
        this.tls = tls;
    }

    /**
     * The service the leader runs: proposes each forwarded command through its own proposer. Answers
     * {@link #NOT_LEADER} when this member does not lead. Pings are answered by any member.
     */
    static ServerServiceDefinition service(BooleanSupplier isLeader,
                                           Function<Command, CompletableFuture<CommandResult>> propose,
                                           LongSupplier appliedIndex,
                                           Supplier<CompletableFuture<Long>> readIndex,
                                           BooleanSupplier isLeaseLeader, LeaderLeases leases, Joining joining) {
        return ServerServiceDefinition.builder("gantry.Forwarding")
                .addMethod(CLUSTER_INFO, anyMemberCall(ClusterInfoRequest.parser(),
                        request -> CompletableFuture.supplyAsync(joining::clusterInfo)))
                .addMethod(ADMIT, leaderCall(isLeader, AdmitRequest.parser(), joining::admit))
                .addMethod(KEEP_ALIVE, leaderCall(isLeaseLeader, KeepAliveBatch.parser(), leases::keepAlive))
                .addMethod(TIME_TO_LIVE, leaderCall(isLeaseLeader, LeaseTimeToLiveRequest.parser(), leases::timeToLive))
                .addMethod(PROPOSE, leaderCall(isLeader, CommandBatch.parser(),
                        batch -> proposeAll(batch, propose, appliedIndex)))
                .addMethod(READ_INDEX, leaderCall(isLeader, ReadIndexRequest.parser(), request -> readIndex.get()
                        .thenApply(index -> ReadIndexResponse.newBuilder().setReadIndex(index).build())))
                .addMethod(PING, ServerCalls.asyncUnaryCall((byte[] request, StreamObserver<byte[]> response) -> {
                    response.onNext(request);
                    response.onCompleted();
                }))
                .build();
    }

    /**
     * Proposes a follower's commands, which may land in different entries of the leader's; the reply carries the
     * leader's applied index once all are applied, at or above all of them, for the follower to wait for.
     */
    private static CompletableFuture<BatchResult> proposeAll(CommandBatch batch,
                                                             Function<Command, CompletableFuture<CommandResult>> propose,
                                                             LongSupplier appliedIndex) {
        List<CompletableFuture<CommandResult>> results = batch.getCommandsList().stream().map(propose).toList();
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            BatchResult.Builder out = BatchResult.newBuilder().setAppliedIndex(appliedIndex.getAsLong());
            results.forEach(r -> out.addResults(r.join()));
            return out.build();
        });
    }

    /** A call every member answers. */
    private static <Q extends Message, R extends Message> ServerCallHandler<byte[], byte[]> anyMemberCall(
            Parser<Q> parser, Function<Q, CompletableFuture<R>> call) {
        return leaderCall(() -> true, parser, call);
    }

    /** A call only the leader answers: others say {@link #NOT_LEADER}, so the sender may look for the leader again. */
    private static <Q extends Message, R extends Message> ServerCallHandler<byte[], byte[]> leaderCall(
            BooleanSupplier isLeader, Parser<Q> parser, Function<Q, CompletableFuture<R>> call) {
        return ServerCalls.asyncUnaryCall((byte[] request, StreamObserver<byte[]> response) -> {
            if (!isLeader.getAsBoolean()) {
                response.onError(NOT_LEADER.asRuntimeException());
                return;
            }
            Q parsed;
            try {
                parsed = parser.parseFrom(request);
            } catch (IOException e) {
                response.onError(Status.INVALID_ARGUMENT.withDescription("undecodable request").asRuntimeException());
                return;
            }
            call.apply(parsed).whenComplete((result, error) -> {
                if (error != null) {
                    EtcdException etcd = RaftErrors.toEtcd(error);
                    response.onError(Status.fromCodeValue(etcd.code()).withDescription(etcd.getMessage()).asRuntimeException());
                    return;
                }
                response.onNext(result.toByteArray());
                response.onCompleted();
            });
        });
    }

    /** Sends an entry's commands to the leader at {@code address} (host:port of its Raft peer port). */
    CompletableFuture<BatchResult> forward(String address, CommandBatch batch) {
        return call(address, PROPOSE, batch, BatchResult.parser(), timeoutMs);
    }

    /** The read index of a linearizable read, from the leader at {@code address}. */
    CompletableFuture<Long> readIndex(String address) {
        return call(address, READ_INDEX, ReadIndexRequest.getDefaultInstance(), ReadIndexResponse.parser(), timeoutMs)
                .thenApply(ReadIndexResponse::getReadIndex);
    }

    CompletableFuture<KeepAliveTtls> keepAlive(String address, KeepAliveBatch batch) {
        return call(address, KEEP_ALIVE, batch, KeepAliveTtls.parser(), timeoutMs);
    }

    CompletableFuture<LeaseTimeToLiveResponse> timeToLive(String address, LeaseTimeToLiveRequest request) {
        return call(address, TIME_TO_LIVE, request, LeaseTimeToLiveResponse.parser(), timeoutMs);
    }

    /** An empty round trip to the member at {@code address}, failing if it takes longer than {@code deadlineMs}. */
    CompletableFuture<Empty> ping(String address, long deadlineMs) {
        return call(address, PING, Empty.getDefaultInstance(), Empty.parser(), deadlineMs);
    }

    CompletableFuture<ClusterInfo> clusterInfo(String address) {
        return call(address, CLUSTER_INFO, ClusterInfoRequest.getDefaultInstance(), ClusterInfo.parser(), timeoutMs);
    }

    CompletableFuture<AdmitResponse> admit(String address, AdmitRequest request) {
        return call(address, ADMIT, request, AdmitResponse.parser(), timeoutMs);
    }

    private <R> CompletableFuture<R> call(String address, MethodDescriptor<byte[], byte[]> method, Message request,
                                          Parser<R> parser, long deadlineMs) {
        ManagedChannel channel = channels.computeIfAbsent(address, tls::channel);
        ListenableFuture<byte[]> call = ClientCalls.futureUnaryCall(
                channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)),
                request.toByteArray());
        CompletableFuture<R> result = new CompletableFuture<>();
        call.addListener(() -> {
            try {
                result.complete(parser.parseFrom(call.get()));
            } catch (ExecutionException e) {
                result.completeExceptionally(e.getCause());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        }, Runnable::run);
        return result;
    }

    /** The etcd error a forwarded call failed with, as the leader reported it. */
    static EtcdException toEtcd(Throwable error) {
        if (error instanceof StatusRuntimeException s && s.getStatus().getDescription() != null
                && s.getStatus().getDescription().startsWith("etcdserver: ")) {
            return new EtcdException(s.getStatus().getCode().value(), s.getStatus().getDescription());
        }
        return RaftErrors.toEtcd(error);
    }

    private static MethodDescriptor<byte[], byte[]> method(String name) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName("gantry.Forwarding", name))
                .setRequestMarshaller(Bytes.INSTANCE)
                .setResponseMarshaller(Bytes.INSTANCE)
                .build();
    }

    static boolean isNotLeader(Throwable error) {
        return error instanceof StatusRuntimeException s && s.getStatus().getCode() == NOT_LEADER.getCode()
                && NOT_LEADER.getDescription().equals(s.getStatus().getDescription());
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }

    private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
        INSTANCE;

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
    }
}
