package dev.gantry.bench;

import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.DeleteRangeResponse;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrantResponse;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseKeepAliveRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveResponse;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.LeaseRevokeResponse;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.api.mvcc.KeyValue;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A just-enough etcd for the bench's own tests, on 127.0.0.1: puts go to every watcher (all watch one
 * prefix, which is not checked), leases can be granted, kept alive and revoked. {@code dropEvent}
 * and {@code duplicateEvent} make it misbehave once, for the checks of the watch workload.
 */
final class FakeEtcd implements AutoCloseable {

    private final AtomicLong revision = new AtomicLong(1);
    private final List<WatchStream> streams = new CopyOnWriteArrayList<>();
    private final AtomicLong leaseIds = new AtomicLong(1000);
    private final Set<Long> leases = ConcurrentHashMap.newKeySet();
    /** The revision whose event the first watcher of the first stream does not get; 0: none. */
    volatile long dropEvent;
    /** The revision whose event the first watcher of the first stream gets twice; 0: none. */
    volatile long duplicateEvent;
    /** Answer every keep-alive with TTL 0, as etcd does for an expired lease. */
    volatile boolean expireAll;
    private final Server server;

    FakeEtcd() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Kv())
                .addService(new Watch())
                .addService(new Lease())
                .build()
                .start();
    }

    String endpoint() {
        return "127.0.0.1:" + server.getPort();
    }

    int leaseCount() {
        return leases.size();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private final class Kv extends KVGrpc.KVImplBase {
        @Override
        public void put(PutRequest request, StreamObserver<PutResponse> answer) {
            long rev;
            synchronized (FakeEtcd.this) {  // events leave in revision order, as etcd's do
                rev = revision.incrementAndGet();
                Event event = Event.newBuilder().setType(Event.EventType.PUT).setKv(KeyValue.newBuilder()
                        .setKey(request.getKey()).setValue(request.getValue()).setModRevision(rev)
                        .setCreateRevision(rev).setVersion(1)).build();
                for (int i = 0; i < streams.size(); i++) {
                    streams.get(i).send(event, rev, i == 0);
                }
            }
            answer.onNext(PutResponse.getDefaultInstance());
            answer.onCompleted();
        }

        @Override
        public void deleteRange(DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> answer) {
            answer.onNext(DeleteRangeResponse.getDefaultInstance());
            answer.onCompleted();
        }
    }

    private final class Watch extends WatchGrpc.WatchImplBase {
        @Override
        public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
            WatchStream stream = new WatchStream(responses);
            streams.add(stream);
            return stream;
        }
    }

    private final class WatchStream implements StreamObserver<WatchRequest> {
        private final StreamObserver<WatchResponse> responses;
        private final List<Long> ids = new CopyOnWriteArrayList<>();
        private long nextId;

        WatchStream(StreamObserver<WatchResponse> responses) {
            this.responses = responses;
        }

        @Override
        public synchronized void onNext(WatchRequest request) {
            if (request.hasCreateRequest()) {
                long id = nextId++;
                responses.onNext(WatchResponse.newBuilder().setWatchId(id).setCreated(true).build());
                ids.add(id);
            }
        }

        synchronized void send(Event event, long rev, boolean firstStream) {
            for (int i = 0; i < ids.size(); i++) {
                boolean misbehave = firstStream && i == 0;
                if (misbehave && rev == dropEvent) {
                    continue;
                }
                WatchResponse response = WatchResponse.newBuilder().setWatchId(ids.get(i)).addEvents(event).build();
                responses.onNext(response);
                if (misbehave && rev == duplicateEvent) {
                    responses.onNext(response);
                }
            }
        }

        @Override
        public void onError(Throwable error) {
            streams.remove(this);
        }

        @Override
        public synchronized void onCompleted() {
            streams.remove(this);
            responses.onCompleted();
        }
    }

    private final class Lease extends LeaseGrpc.LeaseImplBase {
        @Override
        public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> answer) {
            long id = leaseIds.incrementAndGet();
            leases.add(id);
            answer.onNext(LeaseGrantResponse.newBuilder().setID(id).setTTL(request.getTTL()).build());
            answer.onCompleted();
        }

        @Override
        public void leaseRevoke(LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> answer) {
            leases.remove(request.getID());
            answer.onNext(LeaseRevokeResponse.getDefaultInstance());
            answer.onCompleted();
        }

        @Override
        public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(StreamObserver<LeaseKeepAliveResponse> answers) {
            return new StreamObserver<>() {
                @Override
                public void onNext(LeaseKeepAliveRequest request) {
                    // etcd answers an unknown lease with TTL 0
                    long ttl = leases.contains(request.getID()) && !expireAll ? 60 : 0;
                    answers.onNext(LeaseKeepAliveResponse.newBuilder().setID(request.getID()).setTTL(ttl).build());
                }

                @Override
                public void onError(Throwable error) {
                }

                @Override
                public void onCompleted() {
                    answers.onCompleted();
                }
            };
        }
    }
}
