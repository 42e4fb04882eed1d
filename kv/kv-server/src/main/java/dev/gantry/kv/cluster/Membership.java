package dev.gantry.kv.cluster;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

import dev.gantry.kv.api.etcd.Member;
import dev.gantry.kv.api.etcd.MemberPromoteRequest;
import dev.gantry.kv.api.etcd.MemberRemoveRequest;
import dev.gantry.kv.api.etcd.MemberUpdateRequest;
import dev.gantry.kv.api.raft.MemberAttributes;
import dev.gantry.kv.api.raft.MemberSet;
import dev.gantry.kv.mvcc.EtcdError;

/**
 * The rules of cluster membership, as etcd's: pure functions from one member set to the next, applied by every
 * member when the command's Raft entry commits, so all agree. The member set says what the cluster should be;
 * the leader then makes the Raft configuration follow it (see {@code MembershipReconciler}).
 */
public final class Membership {
    /** etcd 3.4's {@code --max-learners} default: a learner is a stepping stone, not a tier. */
    static final int MAX_LEARNERS = 1;

    private Membership() {
    }

    public static MemberSet add(MemberSet set, Member member) {
        if (member.getID() == 0 || find(set, member.getID()).isPresent() || set.getRemovedList().contains(member.getID())) {
            throw EtcdError.MEMBER_EXISTS.exception();
        }
        checkPeerUrlsFree(set, member.getID(), member.getPeerURLsList());
        if (member.getIsLearner() && set.getMembersList().stream().filter(MemberAttributes::getIsLearner).count() >= MAX_LEARNERS) {
            throw EtcdError.TOO_MANY_LEARNERS.exception();
        }
        return set.toBuilder().addMembers(MemberAttributes.newBuilder()
                .setMemberId(member.getID())
                .addAllPeerUrls(member.getPeerURLsList())
                .setIsLearner(member.getIsLearner())).build();
    }

    public static MemberSet remove(MemberSet set, MemberRemoveRequest request) {
        long id = existing(set, request.getID()).getMemberId();
        MemberSet.Builder next = MemberSet.newBuilder().addAllRemoved(set.getRemovedList()).addRemoved(id);
        set.getMembersList().stream().filter(m -> m.getMemberId() != id).forEach(next::addMembers);
        return next.build();
    }

    public static MemberSet update(MemberSet set, MemberUpdateRequest request) {
        existing(set, request.getID());
        checkPeerUrlsFree(set, request.getID(), request.getPeerURLsList());
        return replace(set, request.getID(), m -> m.toBuilder().clearPeerUrls().addAllPeerUrls(request.getPeerURLsList()).build());
    }

    public static MemberSet promote(MemberSet set, MemberPromoteRequest request) {
        if (!existing(set, request.getID()).getIsLearner()) {
            throw EtcdError.MEMBER_NOT_LEARNER.exception();
        }
        return replace(set, request.getID(), m -> m.toBuilder().setIsLearner(false).build());
    }

    /**
     * etcd's publish: a started member announces its name and client URLs. Its peer URLs and role stay as the
     * membership commands left them; a member removed meanwhile stays removed.
     */
    public static MemberSet publish(MemberSet set, MemberAttributes attributes) {
        if (find(set, attributes.getMemberId()).isEmpty()) {
            return set;
        }
        return replace(set, attributes.getMemberId(), m -> m.toBuilder()
                .setName(attributes.getName())
                .clearClientUrls().addAllClientUrls(attributes.getClientUrlsList())
                .build());
    }

    public static Optional<MemberAttributes> find(MemberSet set, long id) {
        return set.getMembersList().stream().filter(m -> m.getMemberId() == id).findFirst();
    }

    /** The member whose peer URLs are exactly {@code peerUrls} (how a joining member finds the ID it was added under). */
    public static Optional<MemberAttributes> withPeerUrls(MemberSet set, Collection<String> peerUrls) {
        Set<String> wanted = new HashSet<>(peerUrls);
        return set.getMembersList().stream().filter(m -> new HashSet<>(m.getPeerUrlsList()).equals(wanted)).findFirst();
    }

    /** etcd's wire form of a member. */
    public static Member toEtcd(MemberAttributes m) {
        return Member.newBuilder()
                .setID(m.getMemberId())
                .setName(m.getName())
                .addAllPeerURLs(m.getPeerUrlsList())
                .addAllClientURLs(m.getClientUrlsList())
                .setIsLearner(m.getIsLearner())
                .build();
    }

    private static MemberAttributes existing(MemberSet set, long id) {
        return find(set, id).orElseThrow(EtcdError.MEMBER_NOT_FOUND::exception);
    }

    private static void checkPeerUrlsFree(MemberSet set, long self, List<String> peerUrls) {
        for (MemberAttributes m : set.getMembersList()) {
            if (m.getMemberId() != self && m.getPeerUrlsList().stream().anyMatch(peerUrls::contains)) {
                throw EtcdError.PEER_URL_EXISTS.exception();
            }
        }
    }

    private static MemberSet replace(MemberSet set, long id, UnaryOperator<MemberAttributes> change) {
        MemberSet.Builder next = set.toBuilder().clearMembers();
        set.getMembersList().forEach(m -> next.addMembers(m.getMemberId() == id ? change.apply(m) : m));
        return next.build();
    }
}
