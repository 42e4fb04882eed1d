package dev.gantry.server.rpc;

import java.util.concurrent.CompletableFuture;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.auth.Access;
import dev.gantry.kv.mvcc.KeyRange;
import dev.gantry.kv.raft.KvMember;

/**
 * Permissions for etcd's lock and election recipes. etcd's v3lock and v3election servers act through a client that
 * carries the caller's token, so the caller's own permissions apply to every key the recipe reads and writes.
 * Gantry runs the recipes in-process, so what they will touch is checked here first, as the caller: the keys
 * under {@code <name>/} (read and write), the keys already on a lease the caller brings (write), or the one key
 * an Unlock, Proclaim or Resign changes.
 */
final class RecipeAccess {
    private RecipeAccess() {
    }

    /** Lock and Campaign: the recipe's prefix, read and written, and the caller's lease. */
    static CompletableFuture<Void> queue(KvMember member, Caller caller, ByteString name, long lease) {
        ByteString prefix = name.concat(ByteString.copyFromUtf8("/"));
        return Calls.as(member, caller, auth -> {
            member.auth().check(view -> {
                Access.checkRead(view, auth, prefix, KeyRange.prefixEnd(prefix));
                Access.checkDelete(view, auth, DeleteRangeRequest.newBuilder().setKey(prefix)
                        .setRangeEnd(KeyRange.prefixEnd(prefix)).build());
                Access.checkLeaseKeys(view, auth, lease);
            });
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Leader and Observe: the recipe's prefix, read. */
    static CompletableFuture<Void> observe(KvMember member, Caller caller, ByteString name) {
        ByteString prefix = name.concat(ByteString.copyFromUtf8("/"));
        return Calls.as(member, caller, auth -> {
            member.auth().check(view -> Access.checkRead(view, auth, prefix, KeyRange.prefixEnd(prefix)));
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Unlock, Proclaim, Resign: the one key they compare and change. */
    static CompletableFuture<Void> key(KvMember member, Caller caller, ByteString key) {
        return Calls.as(member, caller, auth -> {
            member.auth().check(view -> {
                Access.checkRead(view, auth, key, ByteString.EMPTY);
                Access.checkDelete(view, auth, DeleteRangeRequest.newBuilder().setKey(key).build());
            });
            return CompletableFuture.completedFuture(null);
        });
    }
}
