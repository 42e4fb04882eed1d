package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import com.google.protobuf.MessageLite;

import dev.gantry.kv.api.etcd.CompactionRequest;
import dev.gantry.kv.api.etcd.CompactionResponse;
import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.DeleteRangeResponse;
import dev.gantry.kv.api.etcd.MutinyKVGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.etcd.ResponseHeader;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.TxnResponse;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.auth.Access;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.KvApplier;
import dev.gantry.kv.mvcc.RequestChecks;
import dev.gantry.kv.raft.KvMember;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * etcd's KV service. Validates each request at the edge (as etcd's {@code v3rpc/key.go}), sends writes
 * through Raft and serves reads from the local store — after a read-index round unless the request is
 * {@code serializable}. Read-only txns take the read path, as in etcd. Puts and txns with puts pass the
 * space quota check first ({@link KvMember#execute}). With auth enabled, reads are checked against the caller's
 * permissions on the view they read, writes as their entry is applied ({@link Access}).
 */
@GrpcService
public class KvService extends MutinyKVGrpc.KVImplBase {
    @Inject
    KvMember member;

    @Override
    public Uni<RangeResponse> range(RangeRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> {
            RequestChecks.checkRange(r);
            return Calls.as(member, caller, auth -> member.read(!r.getSerializable(), view -> {
                        Access.checkRead(view, auth, r.getKey(), r.getRangeEnd());
                        return KvApplier.range(view, r);
                    }))
                    .thenApply(resp -> resp.toBuilder().setHeader(header(resp.getHeader())).build());
        });
    }

    @Override
    public Uni<PutResponse> put(PutRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> {
            checkSize(r);
            RequestChecks.checkPut(r);
            return propose(caller, Command.newBuilder().setPut(r))
                    .thenApply(result -> result.getPut().toBuilder().setHeader(header(result.getPut().getHeader())).build());
        });
    }

    @Override
    public Uni<DeleteRangeResponse> deleteRange(DeleteRangeRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> {
            checkSize(r);
            RequestChecks.checkDelete(r);
            return propose(caller, Command.newBuilder().setDeleteRange(r))
                    .thenApply(result -> result.getDeleteRange().toBuilder()
                            .setHeader(header(result.getDeleteRange().getHeader())).build());
        });
    }

    @Override
    public Uni<TxnResponse> txn(TxnRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> {
            checkSize(r);
            RequestChecks.checkTxn(r, member.maxTxnOps());
            CompletableFuture<TxnResponse> resp = KvApplier.isReadOnly(r)
                    ? Calls.as(member, caller, auth -> member.read(true, view -> {
                        Access.checkTxn(view, auth, r);
                        return KvApplier.txn(view, r);
                    }))
                    : propose(caller, Command.newBuilder().setTxn(r)).thenApply(CommandResult::getTxn);
            return resp.thenApply(t -> t.toBuilder().setHeader(header(t.getHeader())).build());
        });
    }

    /** Only root may compact once auth is enabled (as etcd 3.7 hardened it; 3.4 let anyone). */
    @Override
    public Uni<CompactionResponse> compact(CompactionRequest r) {
        Caller caller = Caller.current();
        return Calls.unary(member, () -> propose(caller, Command.newBuilder().setCompaction(r))
                .thenApply(result -> CompactionResponse.newBuilder()
                        .setHeader(header(result.getCompaction().getHeader())).build()));
    }

    /** A write as the caller: its permissions are checked as the entry is applied. */
    private CompletableFuture<CommandResult> propose(Caller caller, Command.Builder command) {
        return Calls.as(member, caller, auth -> propose(command.setAuth(auth).build()));
    }

    private CompletableFuture<CommandResult> propose(Command command) {
        return member.execute(command);
    }

    private ResponseHeader header(ResponseHeader applied) {
        return member.header(applied.getRevision());
    }

    private void checkSize(MessageLite request) {
        if (request.getSerializedSize() > member.maxRequestBytes()) {
            throw EtcdError.REQUEST_TOO_LARGE.exception();
        }
    }

    /** Malformed requests are refused with INVALID_ARGUMENT ({@link MalformedRequests}). */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.lenient(super.bindService());
    }
}
