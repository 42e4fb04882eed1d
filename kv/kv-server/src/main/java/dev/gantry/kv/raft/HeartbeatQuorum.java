package dev.gantry.kv.raft;

import dev.gantry.kv.mvcc.EtcdError;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.server.protocol.TermIndex;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * How the leader confirms that it still leads, for linearizable reads (step 3 of read-index in §6.4 of the Raft
 * thesis): a round completes once a majority of the voters — this member included — has acknowledged, in the
 * leader's term, an AppendEntries sent after the round began. No leader of a later term can have been elected
 * before those acknowledgements (each of its voters would have refused them), so nothing committed after the
 * round began is missing from the leader's commit index of that moment.
 *
 * <p>Why not Ratis's own read-index: Ratis 3.3 skips the heartbeats when a read index is not above one that a
 * majority has acknowledged before ({@code ReadIndexHeartbeats.ackedCommitIndex}). A leader cut off from the
 * others commits nothing more, so its commit index stays at the last confirmed one and it answers every read at
 * once, from a state the new leader has moved past, until it notices it was deposed: seconds of stale reads
 * (DeposedLeaderReadsIT, and the anomaly ReliabilityIT found; docs/reliability.md).
 *
 * <p>Every log appender ({@link ConvergingLogAppender}) registers here and reports each reply it receives through
 * the {@link #observe observed} leader state it was built with. Should a Ratis upgrade stop passing replies there,
 * rounds time out: reads fail, they never go stale.
 */
final class HeartbeatQuorum {
    /** The key under which the server's {@code Parameters} carry this member's quorum to its log appenders. */
    static final String PARAMETER = "gantry.heartbeat-quorum";

    /** The latest appender per follower: a new leader, or a restarted appender, replaces the old one. */
    private final Map<RaftPeerId, LogAppender> appenders = new ConcurrentHashMap<>();
    private final Set<Round> rounds = ConcurrentHashMap.newKeySet();
    private final long timeoutMs;

    HeartbeatQuorum(long timeoutMs) {
        this.timeoutMs = timeoutMs;
    }

    void register(LogAppender appender) {
        appenders.put(appender.getFollowerId(), appender);
    }

    /** The leader state an appender is built with, which tells this quorum of every reply before Ratis hears it. */
    LeaderState observe(LeaderState state) {
        return new ObservedLeaderState(state, this);
    }

    /**
     * Completes once a majority has acknowledged an AppendEntries of {@code term} sent after this call; fails when
     * a follower answers from a later term (etcd's "leader changed"), or after the request timeout. The caller has checked that this
     * member leads in {@code term}.
     */
    CompletableFuture<Void> confirm(RaftServer.Division leader, long term) {
        Round round = new Round(leader, term);
        appenders.values().forEach(round::expect);
        if (round.isConfirmed()) {
            return CompletableFuture.completedFuture(null); // a single voter
        }
        rounds.add(round);
        round.future.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).whenComplete((ignored, error) -> rounds.remove(round));
        appenders.values().forEach(LogAppender::triggerHeartbeat);
        return round.future;
    }

    private void onReply(LogAppender appender, AppendEntriesReplyProto reply) {
        for (Round round : rounds) {
            round.receive(appender, reply);
        }
    }

    /** A follower answered from a later term: this member no longer leads, and no round of an earlier term will do. */
    private void onFollowerTerm(long followerTerm) {
        for (Round round : rounds) {
            if (round.term < followerTerm) {
                round.future.completeExceptionally(EtcdError.LEADER_CHANGED.exception());
            }
        }
    }

    /** One confirmation: the call id each appender will use next when it began, and who has acknowledged since. */
    private static final class Round {
        private final RaftServer.Division leader;
        private final long term;
        private final Map<LogAppender, Long> firstCallIds = new ConcurrentHashMap<>();
        private final Set<RaftPeerId> acknowledged = ConcurrentHashMap.newKeySet();
        private final CompletableFuture<Void> future = new CompletableFuture<>();

        Round(RaftServer.Division leader, long term) {
            this.leader = leader;
            this.term = term;
        }

        void expect(LogAppender appender) {
            firstCallIds.put(appender, appender.getCallId());
        }

        void receive(LogAppender appender, AppendEntriesReplyProto reply) {
            Long first = firstCallIds.get(appender);
            if (first == null) {
                return;
            }
            // SUCCESS or INCONSISTENCY: either way the follower took this leader's term (it answers NOT_LEADER
            // otherwise), which is all a confirmation needs, even from a follower whose log lags.
            boolean sentAfterStart = appender.getCallIdComparator().compare(reply.getServerReply().getCallId(), first) >= 0;
            if (reply.getTerm() == term && reply.getResult() != AppendEntriesReplyProto.AppendResult.NOT_LEADER
                    && sentAfterStart) {
                acknowledged.add(appender.getFollowerId());
                if (isConfirmed()) {
                    future.complete(null);
                }
            }
        }

        /** A majority of the current voters, and of the previous ones while the configuration changes. */
        boolean isConfirmed() {
            RaftConfiguration conf = leader.getRaftConf();
            return isMajority(conf.getCurrentPeers())
                    && (conf.getPreviousPeers().isEmpty() || isMajority(conf.getPreviousPeers()));
        }

        private boolean isMajority(Collection<RaftPeer> voters) {
            RaftPeerId self = leader.getId();
            long yes = voters.stream().map(RaftPeer::getId).filter(id -> id.equals(self) || acknowledged.contains(id)).count();
            return yes > voters.size() / 2;
        }
    }

    /** Ratis's leader state, passing each AppendEntries reply to the quorum first. */
    private record ObservedLeaderState(LeaderState delegate, HeartbeatQuorum quorum) implements LeaderState {
        @Override
        public void onAppendEntriesReply(LogAppender appender, AppendEntriesReplyProto reply) {
            quorum.onReply(appender, reply);
            delegate.onAppendEntriesReply(appender, reply);
        }

        @Override
        public void restart(LogAppender appender) {
            delegate.restart(appender);
        }

        @Override
        public AppendEntriesRequestProto newAppendEntriesRequestProto(FollowerInfo follower, List<LogEntryProto> entries,
                                                                      TermIndex previous, long callId) {
            return delegate.newAppendEntriesRequestProto(follower, entries, previous, callId);
        }

        @Override
        public void checkHealth(FollowerInfo follower) {
            delegate.checkHealth(follower);
        }

        @Override
        public boolean onFollowerTerm(FollowerInfo follower, long followerTerm) {
            quorum.onFollowerTerm(followerTerm);
            return delegate.onFollowerTerm(follower, followerTerm);
        }

        @Override
        public void onFollowerCommitIndex(FollowerInfo follower, long commitIndex) {
            delegate.onFollowerCommitIndex(follower, commitIndex);
        }

        @Override
        public void onFollowerSuccessAppendEntries(FollowerInfo follower) {
            delegate.onFollowerSuccessAppendEntries(follower);
        }

        @Override
        public boolean isFollowerBootstrapping(FollowerInfo follower) {
            return delegate.isFollowerBootstrapping(follower);
        }
    }
}
