package dev.gantry.kv.raft;

import java.net.URI;

import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

import dev.gantry.kv.api.raft.MemberAttributes;
import dev.gantry.kv.cluster.MemberId;
import dev.gantry.kv.cluster.Urls;

/**
 * Raft peers are named by etcd member ID in hex, not by member name: a member added with {@code member add}
 * has an ID at once but no name until it starts. A peer's address is the host and port of its first peer URL.
 */
final class RaftPeers {
    private RaftPeers() {
    }

    static RaftPeerId id(long memberId) {
        return RaftPeerId.valueOf(MemberId.hex(memberId));
    }

    static long memberId(RaftPeerId peer) {
        return Long.parseUnsignedLong(peer.toString(), 16);
    }

    static RaftPeer of(MemberAttributes member) {
        return of(member.getMemberId(), URI.create(member.getPeerUrls(0)));
    }

    static RaftPeer of(long memberId, URI peerUrl) {
        return RaftPeer.newBuilder().setId(id(memberId)).setAddress(Urls.hostPort(peerUrl)).build();
    }
}
