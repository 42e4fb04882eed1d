package dev.gantry.server.rpc;

import jakarta.inject.Inject;

import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrantResponse;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseKeepAliveRequest;
import dev.gantry.kv.api.etcd.LeaseKeepAliveResponse;
import dev.gantry.kv.api.etcd.LeaseLeasesRequest;
import dev.gantry.kv.api.etcd.LeaseLeasesResponse;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.LeaseRevokeResponse;
import dev.gantry.kv.api.etcd.LeaseStatus;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveRequest;
import dev.gantry.kv.api.etcd.LeaseTimeToLiveResponse;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.LeaseApplier;
import dev.gantry.kv.mvcc.MvccView;
import dev.gantry.kv.raft.KvMember;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;

/**
 * etcd's Lease service. Grant and revoke go through Raft; keep-alives and time-to-live are answered by the
 * leader from memory (followers forward them), so keeping leases alive writes nothing to the Raft log.
 */
@GrpcService
public class LeaseService extends LeaseGrpc.LeaseImplBase {
    @Inject
    KvMember member;

    @Override
    public void leaseGrant(LeaseGrantRequest r, StreamObserver<LeaseGrantResponse> out) {
        Calls.unary(member, out, () -> {
            if (r.getTTL() > LeaseApplier.MAX_TTL) {
                throw EtcdError.LEASE_TTL_TOO_LARGE.exception();
            }
            LeaseGrantRequest raised = r.toBuilder().setTTL(Math.max(r.getTTL(), member.minLeaseTtl())).build();
            return member.execute(Command.newBuilder().setLeaseGrant(raised).build())
                    .thenApply(result -> result.getLeaseGrant().toBuilder()
                            .setHeader(member.header(result.getLeaseGrant().getHeader().getRevision())).build());
        });
    }

    /** With auth enabled, the caller must be allowed to write every key on the lease (the revoke deletes them). */
    @Override
    public void leaseRevoke(LeaseRevokeRequest r, StreamObserver<LeaseRevokeResponse> out) {
        Caller caller = Caller.current();
        Calls.unary(member, out, () -> Calls.as(member, caller,
                        auth -> member.execute(Command.newBuilder().setLeaseRevoke(r).setAuth(auth).build()))
                .thenApply(result -> LeaseRevokeResponse.newBuilder()
                        .setHeader(member.header(result.getLeaseRevoke().getHeader().getRevision())).build()));
    }

    @Override
    public void leaseTimeToLive(LeaseTimeToLiveRequest r, StreamObserver<LeaseTimeToLiveResponse> out) {
        Calls.unary(member, out, () -> member.timeToLive(r)
                .thenApply(resp -> resp.toBuilder().setHeader(member.header()).build()));
    }

    @Override
    public void leaseLeases(LeaseLeasesRequest r, StreamObserver<LeaseLeasesResponse> out) {
        Calls.unary(member, out, () -> member.read(true, MvccView::leases).thenApply(leases -> {
            LeaseLeasesResponse.Builder resp = LeaseLeasesResponse.newBuilder().setHeader(member.header());
            leases.forEach(l -> resp.addLeases(LeaseStatus.newBuilder().setID(l.getId())));
            return resp.build();
        }));
    }

    /**
     * Each request is renewed as it arrives (several may be in flight: one client stream carries all of its
     * leases); responses go out as renewals complete. A renewal that cannot reach a leader in time ends the
     * stream with etcd's error, and the client opens a new one, as with etcd.
     */
    @Override
    public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(StreamObserver<LeaseKeepAliveResponse> responses) {
        ServerCallStreamObserver<LeaseKeepAliveResponse> call = (ServerCallStreamObserver<LeaseKeepAliveResponse>) responses;
        return new StreamObserver<>() {
            private boolean ended;

            @Override
            public void onNext(LeaseKeepAliveRequest request) {
                member.started().thenCompose(started -> member.keepAlive(request)).whenComplete((resp, error) -> {
                    synchronized (this) {
                        if (ended || call.isCancelled()) {
                            return;
                        }
                        if (error != null) {
                            ended = true;
                            call.onError(Calls.toStatus(error));
                        } else {
                            call.onNext(resp); // KvMember.keepAlive answers with this member's header
                        }
                    }
                });
            }

            @Override
            public void onError(Throwable t) {
                synchronized (this) {
                    ended = true;
                }
            }

            @Override
            public synchronized void onCompleted() {
                if (!ended) {
                    ended = true;
                    call.onCompleted();
                }
            }
        };
    }

    /** Malformed requests are refused with INVALID_ARGUMENT ({@link MalformedRequests}). */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.lenient(super.bindService());
    }
}
