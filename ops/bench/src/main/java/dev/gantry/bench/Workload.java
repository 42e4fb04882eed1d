package dev.gantry.bench;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/** The request a client sends next: one kind of etcd KV call. Implementations are thread-safe. */
sealed interface Workload {

    /** The name results are reported under, e.g. {@code range-serializable}. */
    String name();

    /** Sends one request; the future completes when the server answered. */
    ListenableFuture<?> send(KVGrpc.KVFutureStub kv, SplittableRandom random);

    static Workload of(BenchOptions options, KeySpace keys, ByteString value) {
        return switch (options.workload()) {
            case "put" -> new Put(keys, value);
            case "fill" -> new Fill(keys, value, new AtomicLong());
            case "range" -> new Range(keys, options.serializable());
            default -> throw new IllegalArgumentException("unknown workload " + options.workload());
        };
    }

    /** Overwrites random keys: etcd's {@code benchmark put}. */
    record Put(KeySpace keys, ByteString value) implements Workload {
        @Override
        public String name() {
            return "put";
        }

        @Override
        public ListenableFuture<?> send(KVGrpc.KVFutureStub kv, SplittableRandom random) {
            return kv.put(request(keys.random(random), value));
        }

        static PutRequest request(ByteString key, ByteString value) {
            return PutRequest.newBuilder().setKey(key).setValue(value).build();
        }
    }

    /** Writes every key once, in order, so that later reads find a value under every key. */
    record Fill(KeySpace keys, ByteString value, AtomicLong next) implements Workload {
        @Override
        public String name() {
            return "fill";
        }

        @Override
        public ListenableFuture<?> send(KVGrpc.KVFutureStub kv, SplittableRandom random) {
            return kv.put(Put.request(keys.at(next.getAndIncrement()), value));
        }
    }

    /**
     * Reads one random key: etcd's {@code benchmark range}. Linearizable by default (a quorum read);
     * serializable reads are answered from the contacted member's own state.
     */
    record Range(KeySpace keys, boolean serializable) implements Workload {
        @Override
        public String name() {
            return serializable ? "range-serializable" : "range-linearizable";
        }

        @Override
        public ListenableFuture<?> send(KVGrpc.KVFutureStub kv, SplittableRandom random) {
            return kv.range(RangeRequest.newBuilder().setKey(keys.random(random)).setSerializable(serializable).build());
        }
    }
}
