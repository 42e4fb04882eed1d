package dev.gantry.reliability.workload;

import com.google.protobuf.ByteString;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.DeleteRangeResponse;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.TxnResponse;
import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.Op;
import dev.gantry.reliability.history.OpType;
import dev.gantry.reliability.history.Outcome;
import io.grpc.StatusRuntimeException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One client process: random gets, puts, deletes and CAS transactions on a few keys, each recorded with its
 * invocation, completion and outcome. Every operation observes the value before it (prev_kv, the CAS's compare or
 * its failure branch's read) so that the history is tightly checkable. A failed read is FAIL; a failed write is
 * UNKNOWN, since the request may have been proposed before the error.
 */
public final class RegisterClient implements Runnable {

    private final int process;
    private final Cluster cluster;
    private final History history;
    /** The keys to work on now. */
    private final Supplier<List<String>> keys;
    private final Duration timeout;
    private final BooleanSupplier stopped;
    /** The last value this client saw per key: what its CASes expect. */
    private final Map<String, String> lastSeen = new HashMap<>();
    private int counter;

    public RegisterClient(int process, Cluster cluster, History history, Supplier<List<String>> keys, Duration timeout,
            BooleanSupplier stopped) {
        this.process = process;
        this.cluster = cluster;
        this.history = history;
        this.keys = keys;
        this.timeout = timeout;
        this.stopped = stopped;
    }

    @Override
    public void run() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (!stopped.getAsBoolean()) {
            List<String> now = keys.get();
            String key = now.get(random.nextInt(now.size()));
            int dice = random.nextInt(100);
            OpType type = dice < 40 ? OpType.GET : dice < 65 ? OpType.PUT : dice < 75 ? OpType.DELETE : OpType.CAS;
            Optional<Member> member = Members.anyRunning(cluster);
            if (member.isEmpty()) {
                LockSupport.parkNanos(50_000_000); // back-off: no member is up
                continue;
            }
            execute(member.get(), type, key);
        }
    }

    /** Runs one operation on {@code member} and records it. Public for the final reads after healing. */
    public Op execute(Member member, OpType type, String key) {
        String value = type == OpType.PUT || type == OpType.CAS ? "p" + process + "-" + (++counter) : null;
        String expected = type == OpType.CAS ? lastSeen.get(key) : null;
        KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(member.channel())
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
        long invoke = System.nanoTime();
        Op op;
        try {
            ByteString k = bytes(key);
            op = switch (type) {
                case GET -> {
                    RangeResponse r = kv.range(RangeRequest.newBuilder().setKey(k).build());
                    String saw = r.getKvsCount() == 0 ? null : string(r.getKvs(0).getValue());
                    yield done(type, key, null, null, saw, false, invoke, r.getHeader().getRevision(), member);
                }
                case PUT -> {
                    PutResponse r = kv.put(PutRequest.newBuilder().setKey(k).setValue(bytes(value)).setPrevKv(true).build());
                    String prev = r.hasPrevKv() && r.getPrevKv().getKey().size() > 0 ? string(r.getPrevKv().getValue()) : null;
                    yield done(type, key, value, null, prev, false, invoke, r.getHeader().getRevision(), member);
                }
                case DELETE -> {
                    DeleteRangeResponse r = kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(k).setPrevKv(true).build());
                    String prev = r.getPrevKvsCount() == 0 ? null : string(r.getPrevKvs(0).getValue());
                    yield done(type, key, null, null, prev, false, invoke, r.getHeader().getRevision(), member);
                }
                case CAS -> {
                    Compare compare = expected == null
                            ? Compare.newBuilder().setKey(k).setTarget(Compare.CompareTarget.CREATE)
                                    .setResult(Compare.CompareResult.EQUAL).setCreateRevision(0).build()
                            : Compare.newBuilder().setKey(k).setTarget(Compare.CompareTarget.VALUE)
                                    .setResult(Compare.CompareResult.EQUAL).setValue(bytes(expected)).build();
                    TxnResponse r = kv.txn(TxnRequest.newBuilder().addCompare(compare)
                            .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k).setValue(bytes(value))))
                            .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(k)))
                            .build());
                    String saw = expected;
                    if (!r.getSucceeded()) {
                        RangeResponse range = r.getResponses(0).getResponseRange();
                        saw = range.getKvsCount() == 0 ? null : string(range.getKvs(0).getValue());
                    }
                    yield done(type, key, value, expected, saw, r.getSucceeded(), invoke, r.getHeader().getRevision(), member);
                }
            };
            lastSeen.put(key, op.type() == OpType.DELETE ? null
                    : op.type() == OpType.GET || (op.type() == OpType.CAS && !op.succeeded()) ? op.observed() : value);
        } catch (StatusRuntimeException e) {
            op = new Op(process, type, key, value, expected, null, false, invoke, Op.NEVER,
                    type == OpType.GET ? Outcome.FAIL : Outcome.UNKNOWN, 0, member.name());
        }
        history.add(op);
        return op;
    }

    private Op done(OpType type, String key, String value, String expected, String observed, boolean succeeded,
            long invoke, long revision, Member member) {
        return new Op(process, type, key, value, expected, observed, succeeded, invoke, System.nanoTime(), Outcome.OK,
                revision, member.name());
    }

    static ByteString bytes(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }

    static String string(ByteString b) {
        return b.toString(StandardCharsets.UTF_8);
    }
}
