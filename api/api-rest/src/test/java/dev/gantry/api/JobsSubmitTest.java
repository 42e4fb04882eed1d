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

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.job.Keys;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutResponse;
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
 * One submit, one job, even when the store applied the submit's txn but its answer was lost: the client retries
 * the txn (UNAVAILABLE: the leader changed after the commit), and the retry finds the key taken. JobInvariantsIT
 * saw a second job made of one submit that way, under a leader kill.
 */
class JobsSubmitTest {

    /** The KV service at the network boundary: txns on a map, and the first answer lost after it was applied. */
    static final class LosesFirstAnswer extends KVGrpc.KVImplBase {
        final Map<ByteString, ByteString> store = new ConcurrentHashMap<>();
        final AtomicInteger txns = new AtomicInteger();

        @Override
        public synchronized void txn(TxnRequest request, StreamObserver<TxnResponse> out) {
            boolean absent = request.getCompareList().stream().allMatch(c -> c.getTarget() == Compare.CompareTarget.VERSION
                    && c.getVersion() == 0 && !store.containsKey(c.getKey()));
            TxnResponse.Builder response = TxnResponse.newBuilder().setSucceeded(absent)
                    .setHeader(ResponseHeader.newBuilder().setRevision(txns.get() + 1));
            for (RequestOp op : absent ? request.getSuccessList() : request.getFailureList()) {
                if (op.hasRequestPut()) {
                    store.put(op.getRequestPut().getKey(), op.getRequestPut().getValue());
                    response.addResponses(ResponseOp.newBuilder().setResponsePut(PutResponse.getDefaultInstance()));
                } else if (op.hasRequestRange()) {
                    ByteString key = op.getRequestRange().getKey();
                    RangeResponse.Builder range = RangeResponse.newBuilder();
                    if (store.containsKey(key)) {
                        range.addKvs(KeyValue.newBuilder().setKey(key).setValue(store.get(key)).setVersion(1)
                                .setCreateRevision(1).setModRevision(1));
                    }
                    response.addResponses(ResponseOp.newBuilder().setResponseRange(range));
                }
            }
            if (txns.incrementAndGet() == 1) {
                out.onError(Status.UNAVAILABLE.withDescription("etcdserver: leader changed").asRuntimeException());
                return;
            }
            out.onNext(response.build());
            out.onCompleted();
        }
    }

    @Test
    void aSubmitWhoseAnswerWasLostMakesOneJob() throws IOException, InterruptedException {
        LosesFirstAnswer kv = new LosesFirstAnswer();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(kv).build().start();
        try (KvClient client = KvClient.connect("http://127.0.0.1:" + server.getPort())) {
            TaskSpec spec = new TaskSpec("once", null, null, null, null, null, null, null, List.of("true"), null, null)
                    .withDefaults();
            Task task = new Jobs(client, Clock.fixed(Instant.parse("2026-01-01T00:00:00.123456Z"), ZoneOffset.UTC))
                    .submit(spec, null);

            assertThat(kv.txns).as("the client retried the txn").hasValue(2);
            assertThat(kv.store.keySet()).containsExactly(ByteString.copyFromUtf8(Keys.task(task.id())));
        } finally {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
