package dev.gantry.kv.mvcc;

import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrantResponse;
import dev.gantry.kv.api.etcd.LeaseRevokeRequest;
import dev.gantry.kv.api.etcd.LeaseRevokeResponse;
import dev.gantry.kv.api.etcd.ResponseHeader;

/**
 * etcd's replicated lease operations over a write {@link MvccView}. Only grant and revoke go through Raft;
 * expiry times live in the leader's memory ({@code dev.gantry.kv.lease.Lessor}).
 */
public final class LeaseApplier {
    /** etcd's {@code MaxLeaseTTL}. */
    public static final long MAX_TTL = 9_000_000_000L;

    private LeaseApplier() {
    }

    /** Grants a lease; an ID of 0 asks for a new one. The TTL was raised to the minimum before proposing. */
    public static LeaseGrantResponse grant(MvccView view, LeaseGrantRequest r) {
        if (r.getTTL() > MAX_TTL) {
            throw EtcdError.LEASE_TTL_TOO_LARGE.exception();
        }
        if (r.getID() != 0 && view.leaseExists(r.getID())) {
            throw EtcdError.LEASE_EXISTS.exception();
        }
        long id = r.getID() != 0 ? r.getID() : view.newLeaseId();
        view.grantLease(id, r.getTTL());
        return LeaseGrantResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setRevision(view.readRevision()))
                .setID(id)
                .setTTL(r.getTTL())
                .build();
    }

    /** Revokes a lease: its attached keys are deleted in one revision. */
    public static LeaseRevokeResponse revoke(MvccView view, LeaseRevokeRequest r) {
        if (!view.leaseExists(r.getID())) {
            throw EtcdError.LEASE_NOT_FOUND.exception();
        }
        view.revokeLease(r.getID());
        return LeaseRevokeResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setRevision(view.readRevision()))
                .build();
    }
}
