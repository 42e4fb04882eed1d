package dev.gantry.kv.raft;

import java.util.concurrent.CompletionException;

import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;

import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.EtcdException;

/**
 * Maps what Ratis reports to etcd's errors. Everything here is {@code Unavailable} (safe to retry on
 * another member) except that a write may still have been applied after a timeout — as with etcd.
 */
final class RaftErrors {
    private RaftErrors() {
    }

    static EtcdException toEtcd(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof EtcdException etcd) {
            return etcd;
        }
        if (cause instanceof AlreadyClosedException || cause instanceof ServerNotReadyException) {
            return EtcdError.STOPPED.exception();
        }
        if (cause instanceof NotLeaderException) {
            return EtcdError.LEADER_CHANGED.exception();
        }
        return EtcdError.TIMEOUT.exception(); // timeouts, retries exhausted: the write may have been applied
    }
}
