package dev.gantry.kv.raft;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.server.RaftConfiguration;
import org.jboss.logging.Logger;

import dev.gantry.kv.api.raft.MemberAttributes;
import dev.gantry.kv.api.raft.MemberSet;
import dev.gantry.kv.cluster.MemberId;
import dev.gantry.kv.cluster.Membership;
import dev.gantry.kv.mvcc.EtcdError;

/**
 * Makes the Raft configuration follow the member set, on the leader. The member set (replicated through
 * ordinary Raft entries) says what the cluster should be; this turns the difference into Ratis configuration
 * changes, one at a time, so a change interrupted by a crash or a leader change is finished by the next leader:
 * removed members leave the configuration, promoted learners become voters, updated peer URLs take effect.
 *
 * <p>Members join the other way round: a member added with {@code member add} is not in the configuration until
 * it has started and asks to be {@link #admit admitted} — Ratis then catches it up before it counts towards
 * the quorum, so adding a member that never starts costs the cluster nothing.
 */
final class MembershipReconciler {
    private static final Logger LOG = Logger.getLogger(MembershipReconciler.class);

    private final Supplier<RaftConfiguration> configuration;
    private final Supplier<MemberSet> members;
    private final RaftClient client;

    MembershipReconciler(Supplier<RaftConfiguration> configuration, Supplier<MemberSet> members, RaftClient client) {
        this.configuration = configuration;
        this.members = members;
        this.client = client;
    }

    /** One step towards the member set: at most one configuration change. Call on the leader only. */
    void reconcile() throws IOException {
        RaftConfiguration conf = configuration.get();
        if (!conf.getPreviousPeers().isEmpty()) {
            return; // a change is in progress
        }
        MemberSet set = members.get();
        List<RaftPeer> servers = new ArrayList<>(conf.getAllPeers(RaftPeerRole.FOLLOWER));
        List<RaftPeer> listeners = new ArrayList<>(conf.getAllPeers(RaftPeerRole.LISTENER));
        List<RaftPeer> newServers = new ArrayList<>();
        List<RaftPeer> newListeners = new ArrayList<>();
        for (RaftPeer peer : servers) {
            follow(set, peer).ifPresent(p -> (isLearner(set, p) ? newListeners : newServers).add(p));
        }
        for (RaftPeer peer : listeners) {
            follow(set, peer).ifPresent(p -> (isLearner(set, p) ? newListeners : newServers).add(p));
        }
        if (samePeers(servers, newServers) && samePeers(listeners, newListeners)) {
            return;
        }
        LOG.infof("changing the Raft configuration to follow the member set: voters %s -> %s, learners %s -> %s",
                servers, newServers, listeners, newListeners);
        check(client.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                .setServersInCurrentConf(servers).setListenersInCurrentConf(listeners)
                .setServersInNewConf(newServers).setListenersInNewConf(newListeners)
                .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                .build()));
    }

    /**
     * Adds a started member to the configuration, as a voter or (a learner) a listener: Ratis first brings it
     * up to date, then commits the change. Call on the leader.
     */
    void admit(long memberId) throws IOException {
        MemberAttributes member = Membership.find(members.get(), memberId)
                .orElseThrow(EtcdError.MEMBER_NOT_FOUND::exception);
        RaftPeer peer = RaftPeers.of(member);
        if (configuration.get().getPeer(peer.getId(), RaftPeerRole.FOLLOWER, RaftPeerRole.LISTENER) != null) {
            return;
        }
        LOG.infof("admitting member %s (%s) into the Raft configuration as a %s", MemberId.hex(memberId),
                peer.getAddress(), member.getIsLearner() ? "learner" : "voter");
        SetConfigurationRequest.Arguments.Builder add = SetConfigurationRequest.Arguments.newBuilder()
                .setMode(SetConfigurationRequest.Mode.ADD);
        if (member.getIsLearner()) {
            add.setListenersInNewConf(List.of(peer)).setServersInNewConf(List.of());
        } else {
            add.setServersInNewConf(List.of(peer)).setListenersInNewConf(List.of());
        }
        check(client.admin().setConfiguration(add.build()));
    }

    /** The peer as the member set wants it: gone if removed, at its current address otherwise. */
    private static Optional<RaftPeer> follow(MemberSet set, RaftPeer peer) {
        long id = RaftPeers.memberId(peer.getId());
        if (set.getRemovedList().contains(id)) {
            return Optional.empty();
        }
        return Optional.of(Membership.find(set, id).map(RaftPeers::of).orElse(peer));
    }

    private static boolean isLearner(MemberSet set, RaftPeer peer) {
        return Membership.find(set, RaftPeers.memberId(peer.getId())).map(MemberAttributes::getIsLearner).orElse(false);
    }

    private static boolean samePeers(Collection<RaftPeer> a, Collection<RaftPeer> b) {
        return a.size() == b.size() && a.stream().allMatch(p -> b.stream().anyMatch(q -> q.getId().equals(p.getId())
                && q.getAddress().equals(p.getAddress())));
    }

    private static void check(RaftClientReply reply) throws IOException {
        if (!reply.isSuccess()) {
            throw reply.getException() != null ? reply.getException() : new IOException("configuration change failed");
        }
    }
}
