package dev.gantry.kv.mvcc;

import io.grpc.Status;

/**
 * etcd's client-visible errors: the exact message and gRPC status code of each. Clients (Go clientv3,
 * jetcd, npm etcd3) match on the message string, so these must stay byte-for-byte etcd's.
 */
public enum EtcdError {
    EMPTY_KEY(Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided"),
    KEY_NOT_FOUND(Status.Code.INVALID_ARGUMENT, "etcdserver: key not found"),
    VALUE_PROVIDED(Status.Code.INVALID_ARGUMENT, "etcdserver: value is provided"),
    LEASE_PROVIDED(Status.Code.INVALID_ARGUMENT, "etcdserver: lease is provided"),
    TOO_MANY_OPS(Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request"),
    DUPLICATE_KEY(Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request"),
    INVALID_SORT_OPTION(Status.Code.INVALID_ARGUMENT, "etcdserver: invalid sort option"),
    REQUEST_TOO_LARGE(Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large"),
    COMPACTED(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted"),
    FUTURE_REV(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision"),
    NO_SPACE(Status.Code.RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded"),
    CORRUPT(Status.Code.DATA_LOSS, "etcdserver: corrupt cluster"),
    LEASE_NOT_FOUND(Status.Code.NOT_FOUND, "etcdserver: requested lease not found"),
    LEASE_EXISTS(Status.Code.FAILED_PRECONDITION, "etcdserver: lease already exists"),
    LEASE_TTL_TOO_LARGE(Status.Code.OUT_OF_RANGE, "etcdserver: too large lease TTL"),
    MEMBER_NOT_FOUND(Status.Code.NOT_FOUND, "etcdserver: member not found"),
    MEMBER_EXISTS(Status.Code.FAILED_PRECONDITION, "etcdserver: member ID already exist"),
    PEER_URL_EXISTS(Status.Code.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists"),
    MEMBER_NOT_LEARNER(Status.Code.FAILED_PRECONDITION, "etcdserver: can only promote a learner member"),
    LEARNER_NOT_READY(Status.Code.FAILED_PRECONDITION,
            "etcdserver: can only promote a learner member which is in sync with leader"),
    MEMBER_BAD_URLS(Status.Code.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid"),
    TOO_MANY_LEARNERS(Status.Code.FAILED_PRECONDITION, "etcdserver: too many learner members in cluster"),
    NO_LEADER(Status.Code.UNAVAILABLE, "etcdserver: no leader"),
    LEADER_CHANGED(Status.Code.UNAVAILABLE, "etcdserver: leader changed"),
    STOPPED(Status.Code.UNAVAILABLE, "etcdserver: server stopped"),
    TIMEOUT(Status.Code.UNAVAILABLE, "etcdserver: request timed out"),
    TOO_MANY_REQUESTS(Status.Code.RESOURCE_EXHAUSTED, "etcdserver: too many requests"),
    NOT_LEADER(Status.Code.FAILED_PRECONDITION, "etcdserver: not leader"),
    BAD_LEADER_TRANSFEREE(Status.Code.FAILED_PRECONDITION, "etcdserver: bad leader transferee"),
    NOT_SUPPORTED_FOR_LEARNER(Status.Code.FAILED_PRECONDITION, "etcdserver: rpc not supported for learner");

    private final Status.Code code;
    private final String message;

    EtcdError(Status.Code code, String message) {
        this.code = code;
        this.message = message;
    }

    public Status.Code code() {
        return code;
    }

    public String message() {
        return message;
    }

    public EtcdException exception() {
        return new EtcdException(code.value(), message);
    }
}
