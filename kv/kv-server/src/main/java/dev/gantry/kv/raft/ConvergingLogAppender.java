package dev.gantry.kv.raft;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.jboss.logging.Logger;

/**
 * Ratis's gRPC log appender, made to converge on a follower whose log ends below what the leader believes it
 * matched.
 *
 * <p>On an INCONSISTENCY reply Ratis 3.3 takes as the follower's next index the larger of the follower's answer
 * and the leader's match index + 1, unless the rejected request began exactly there. Replies to heartbeats never
 * begin anywhere, so once the follower's log tail is below that match index (seen in CI after a follower was
 * killed and caught up again), every heartbeat is rejected with the same answer and no entry is ever sent again:
 * the follower is stuck for good while the leader goes on without it (RATIS-2523 and RATIS-2605 describe the same
 * trap in other appenders). Here, when the follower has given the same answer several times in a row and Ratis
 * would still send from above it, the follower is believed: the leader resends from where the follower's log ends.
 * Resending entries a follower may already hold is always safe in Raft; it only costs bandwidth.
 *
 * <p>It also reports every reply to the member's {@link HeartbeatQuorum}, which confirms leadership for reads.
 */
final class ConvergingLogAppender extends GrpcLogAppender {
    private static final Logger LOG = Logger.getLogger(ConvergingLogAppender.class);
    private final FollowerAnswers answers = new FollowerAnswers();

    ConvergingLogAppender(RaftServer.Division server, LeaderState leaderState, FollowerInfo follower,
                          HeartbeatQuorum quorum) {
        super(server, quorum.observe(leaderState), follower);
        quorum.register(this);
    }

    @Override
    protected long getNextIndexForInconsistency(long requestFirstIndex, long replyNextIndex) {
        long ratis = super.getNextIndexForInconsistency(requestFirstIndex, replyNextIndex);
        long next = answers.nextIndex(ratis, replyNextIndex);
        if (next != ratis) {
            LOG.warnf("%s: %s answered next index %d %d times in a row, below its match index; resending from there",
                    getServer().getMemberId(), getFollower(), replyNextIndex, FollowerAnswers.BELIEVE_AFTER);
        }
        return next;
    }

    /** Decides whose next index wins: Ratis's, until the follower has given the same lower answer often enough. */
    static final class FollowerAnswers {
        static final int BELIEVE_AFTER = 3;

        private long lastAnswer = -1;
        private int repeats;

        synchronized long nextIndex(long ratis, long answer) {
            repeats = answer == lastAnswer ? repeats + 1 : 1;
            lastAnswer = answer;
            if (ratis <= answer || repeats < BELIEVE_AFTER) {
                return ratis;
            }
            repeats = 0;
            return answer;
        }
    }

    /** The gRPC transport with this appender: set with {@code RaftConfigKeys.Rpc.setType}. */
    public static final class Transport implements RpcType {
        @Override
        public String name() {
            // Ratis stores the type by name and loads a type that is not one of its own by class name.
            return Transport.class.getName();
        }

        @Override
        public RpcFactory newFactory(Parameters parameters) {
            HeartbeatQuorum quorum = parameters.get(HeartbeatQuorum.PARAMETER, HeartbeatQuorum.class);
            return new GrpcFactory(parameters) {
                @Override
                public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
                    if (quorum == null) {
                        throw new IllegalStateException("the server's parameters carry no " + HeartbeatQuorum.PARAMETER);
                    }
                    return new ConvergingLogAppender(server, state, follower, quorum);
                }
            };
        }
    }
}
