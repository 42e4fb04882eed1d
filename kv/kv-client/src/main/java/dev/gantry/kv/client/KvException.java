package dev.gantry.kv.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** A call that failed for good: its gRPC status and etcd's message (e.g. "etcdserver: mvcc: database space exceeded"). */
public class KvException extends RuntimeException {
    private final Status.Code code;

    KvException(String what, StatusRuntimeException cause) {
        super(what + ": " + cause.getStatus().getCode() + ": " + cause.getStatus().getDescription(), cause);
        this.code = cause.getStatus().getCode();
    }

    public Status.Code code() {
        return code;
    }
}
