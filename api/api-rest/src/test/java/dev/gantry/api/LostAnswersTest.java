package dev.gantry.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.etcd.ResponseOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.TxnResponse;
import dev.gantry.kv.api.mvcc.KeyValue;
import dev.gantry.kv.client.KvClient;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;

/**
 * A write whose txn the store applied but whose answer was lost: the client retries the txn (UNAVAILABLE, the
 * leader changed after the commit), and the retry finds the store already changed — by that very write. One submit
 * must still make one job (JobInvariantsIT saw two, under a leader kill), and a cancel must still answer CANCELLED.
 */
class LostAnswersTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00.123456Z"), ZoneOffset.UTC);
    private final LosesAnAnswer store = new LosesAnAnswer();
    private Server server;
    private KvClient client;

    /** The KV service at the network boundary: single keys in a map, and the answer of one txn lost after it applied. */
    static final class LosesAnAnswer extends KVGrpc.KVImplBase {
        final Map<ByteString, KeyValue> keys = new ConcurrentHashMap<>();
        final AtomicInteger txns = new AtomicInteger();
        private long revision;
        private boolean loseNext;

        @Override
        public synchronized void range(RangeRequest request, StreamObserver<RangeResponse> out) {
            out.onNext(read(request.getKey()));
            out.onCompleted();
        }

        @Override
        public synchronized void txn(TxnRequest request, StreamObserver<TxnResponse> out) {
            txns.incrementAndGet();
            boolean holds = request.getCompareList().stream().allMatch(this::holds);
            TxnResponse.Builder response = TxnResponse.newBuilder().setSucceeded(holds);
            boolean writes = false;
            for (RequestOp op : holds ? request.getSuccessList() : request.getFailureList()) {
                if (op.hasRequestPut()) {
                    revision += writes ? 0 : 1;
                    writes = true;
                    ByteString key = op.getRequestPut().getKey();
                    KeyValue before = keys.get(key);
                    keys.put(key, KeyValue.newBuilder().setKey(key).setValue(op.getRequestPut().getValue())
                            .setVersion(before == null ? 1 : before.getVersion() + 1).setModRevision(revision)
                            .setCreateRevision(before == null ? revision : before.getCreateRevision()).build());
                    response.addResponses(ResponseOp.newBuilder().setResponsePut(PutResponse.getDefaultInstance()));
                } else if (op.hasRequestRange()) {
                    response.addResponses(ResponseOp.newBuilder().setResponseRange(read(op.getRequestRange().getKey())));
                }
            }
            if (loseNext) {
                loseNext = false;
                out.onError(Status.UNAVAILABLE.withDescription("etcdserver: leader changed").asRuntimeException());
                return;
            }
            out.onNext(response.setHeader(ResponseHeader.newBuilder().setRevision(revision)).build());
            out.onCompleted();
        }

        synchronized void loseTheNextAnswer() {
            loseNext = true;
        }

        private boolean holds(Compare compare) {
            KeyValue kv = keys.get(compare.getKey());
            return switch (compare.getTarget()) {
                case VERSION -> (kv == null ? 0 : kv.getVersion()) == compare.getVersion();
                case MOD -> (kv == null ? 0 : kv.getModRevision()) == compare.getModRevision();
                default -> throw new UnsupportedOperationException(compare.getTarget().name());
            };
        }

        private RangeResponse read(ByteString key) {
            RangeResponse.Builder range = RangeResponse.newBuilder().setHeader(ResponseHeader.newBuilder().setRevision(revision));
            if (keys.containsKey(key)) {
                range.addKvs(keys.get(key)).setCount(1);
            }
            return range.build();
        }
    }

    @BeforeEach
    void start() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(store).build().start();
        client = KvClient.connect("http://127.0.0.1:" + server.getPort());
    }

    @AfterEach
    void stop() throws InterruptedException {
        client.close();
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    private static TaskSpec spec() {
        return new TaskSpec("once", null, null, null, null, null, null, null, List.of("true"), null, null).withDefaults();
    }

    @Test
    void aSubmitWhoseAnswerWasLostMakesOneJob() {
        store.loseTheNextAnswer();
        Task task = new Jobs(client, CLOCK).submit(spec(), null);

        assertThat(store.txns).as("the client retried the txn").hasValue(2);
        assertThat(store.keys.keySet()).containsExactly(ByteString.copyFromUtf8(Keys.task(task.id())));
    }

    @Test
    void aCancelWhoseAnswerWasLostIsStillACancel() {
        Task task = new Jobs(client, CLOCK).submit(spec(), null);
        store.loseTheNextAnswer();
        Task cancelled = new Jobs(client, CLOCK).cancel(task.id(), "changed my mind");

        assertThat(cancelled.status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(store.txns).as("the submit, the cancel and its retry").hasValue(3);
        assertThat(Json.read(store.keys.get(ByteString.copyFromUtf8(Keys.task(task.id()))).getValue().toStringUtf8(),
                Task.class)).isEqualTo(cancelled);
    }
}
