package dev.gantry.agent.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.agent.node.Fence;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.DeleteRangeResponse;
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
 * The agent's fenced task writes when the store applied a txn but its answer was lost: the client retries the txn
 * (UNAVAILABLE, the leader changed after the commit), the retry fails its mod-revision compare — the task was
 * changed, by that very txn — and the write must still count as written. Taken for a concurrent change, a start
 * looked FENCED: the process was never started and the task stayed RUNNING for good.
 */
class TaskStoreTest {
    private static final long LEASE = 0x1234;
    private final LosesAnAnswer store = new LosesAnAnswer();
    private Server server;
    private KvClient client;

    /** The KV service at the network boundary: single keys in a map, and the answer of one txn lost after it applied. */
    static final class LosesAnAnswer extends KVGrpc.KVImplBase {
        final Map<ByteString, KeyValue> keys = new ConcurrentHashMap<>();
        final AtomicInteger txns = new AtomicInteger();
        private long revision;
        private boolean loseNext;

        synchronized void put(String key, String value, long lease) {
            revision++;
            keys.put(bytes(key), KeyValue.newBuilder().setKey(bytes(key)).setValue(bytes(value)).setLease(lease)
                    .setVersion(1).setCreateRevision(revision).setModRevision(revision).build());
        }

        synchronized void loseTheNextAnswer() {
            loseNext = true;
        }

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
            if (holds) {
                revision++;
            }
            for (RequestOp op : holds ? request.getSuccessList() : request.getFailureList()) {
                if (op.hasRequestPut()) {
                    ByteString key = op.getRequestPut().getKey();
                    KeyValue before = keys.get(key);
                    keys.put(key, before.toBuilder().setValue(op.getRequestPut().getValue())
                            .setVersion(before.getVersion() + 1).setModRevision(revision).build());
                    response.addResponses(ResponseOp.newBuilder().setResponsePut(PutResponse.getDefaultInstance()));
                } else if (op.hasRequestDeleteRange()) {
                    keys.remove(op.getRequestDeleteRange().getKey());
                    response.addResponses(ResponseOp.newBuilder().setResponseDeleteRange(DeleteRangeResponse.getDefaultInstance()));
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

        private boolean holds(Compare compare) {
            KeyValue kv = keys.get(compare.getKey());
            return switch (compare.getTarget()) {
                case MOD -> (kv == null ? 0 : kv.getModRevision()) == compare.getModRevision();
                case LEASE -> kv != null && kv.getLease() == compare.getLease();
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

        Task task(String id) {
            return Json.read(keys.get(bytes(Keys.task(id))).getValue().toStringUtf8(), Task.class);
        }

        private static ByteString bytes(String s) {
            return ByteString.copyFromUtf8(s);
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

    /** A task SCHEDULED on node n1 at attempt 0, and n1 registered under {@link #LEASE}. */
    private Task scheduled() {
        TaskSpec spec = new TaskSpec("t", null, null, null, null, null, null, null, List.of("true"), null, null).withDefaults();
        Task task = Lifecycle.schedule(Task.submitted("t-abcde", spec, null, Instant.now()), "n1", List.of(), Instant.now());
        store.put(Keys.task(task.id()), Json.write(task), 0);
        store.put(Keys.node("n1"), "{}", LEASE);
        return task;
    }

    @Test
    void aStartWhoseAnswerWasLostIsWritten() {
        Task task = scheduled();
        store.loseTheNextAnswer();

        TaskStore.Outcome outcome = new TaskStore(client).update(task.id(), 0, new Fence("n1", LEASE),
                t -> Lifecycle.start(t, Instant.now()));

        assertThat(outcome).isEqualTo(TaskStore.Outcome.WRITTEN);
        assertThat(store.txns).as("the client retried the txn").hasValue(2);
        assertThat(store.task(task.id()).status()).isEqualTo(TaskStatus.RUNNING);
    }

    @Test
    void aTaskChangedByAnotherWriterIsStillFenced() {
        Task task = scheduled();
        store.put(Keys.task(task.id()), Json.write(Lifecycle.cancel(task, "user", Instant.now())), 0);

        assertThat(new TaskStore(client).update(task.id(), 0, new Fence("n1", LEASE), t -> Lifecycle.start(t, Instant.now())))
                .isEqualTo(TaskStore.Outcome.FENCED);
        assertThat(store.task(task.id()).status()).isEqualTo(TaskStatus.CANCELLED);
    }
}
