package dev.gantry.kv.mvcc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A request failed with an etcd error: a gRPC status code and etcd's message. Thrown below the gRPC edge
 * (validation, apply) and carried through Raft results as (code, message), so a follower's client sees
 * exactly what the leader's applier decided.
 */
public final class EtcdException extends RuntimeException {
    private final int code;

    public EtcdException(int code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public int code() {
        return code;
    }

    public StatusRuntimeException toStatus() {
        return Status.fromCodeValue(code).withDescription(getMessage()).asRuntimeException();
    }
}
