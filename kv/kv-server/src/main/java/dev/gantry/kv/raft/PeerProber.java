package dev.gantry.kv.raft;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.jboss.logging.Logger;

import dev.gantry.kv.metrics.Histogram;
import dev.gantry.kv.cluster.MemberId;

/**
 * Measures this member's round-trip time to each of its peers, as etcd's
 * {@code etcd_network_peer_round_trip_time_seconds}: each {@link #probe()} sends a Ping to every other member of
 * the current Raft configuration, on its peer port, and records how long the answer took. The peers are read at
 * every round, so members that join are probed and members that leave are forgotten. A probe that fails records
 * nothing, as etcd's prober; a peer that stops answering is logged once, and once more when it answers again.
 */
final class PeerProber {
    private static final Logger LOG = Logger.getLogger(PeerProber.class);

    private final RaftPeerId self;
    private final Supplier<List<RaftPeer>> peers;
    private final ToLongFunction<RaftPeerId> memberId;
    private final BiFunction<String, Long, CompletableFuture<?>> ping;
    private final long deadlineMs;
    private final Map<Long, Histogram> roundTrips = new ConcurrentHashMap<>();
    /** Peers whose last probe failed after an earlier one had succeeded. */
    private final Set<Long> unanswering = ConcurrentHashMap.newKeySet();

    /**
     * @param peers    the members of the current Raft configuration, this one included
     * @param memberId the etcd member ID of a Raft peer
     * @param ping     a round trip to a peer's address ({@code host:port}) with a deadline in milliseconds
     */
    PeerProber(RaftPeerId self, Supplier<List<RaftPeer>> peers, ToLongFunction<RaftPeerId> memberId,
               BiFunction<String, Long, CompletableFuture<?>> ping, long deadlineMs) {
        this.self = self;
        this.peers = peers;
        this.memberId = memberId;
        this.ping = ping;
        this.deadlineMs = deadlineMs;
    }

    /** Pings every peer once; the answers are recorded as they arrive. */
    void probe() {
        Map<Long, RaftPeer> current = new HashMap<>();
        try {
            for (RaftPeer peer : peers.get()) {
                if (!peer.getId().equals(self)) {
                    current.put(memberId.applyAsLong(peer.getId()), peer);
                }
            }
        } catch (RuntimeException e) {
            // e.g. the Raft server is stopping; the next round looks again
            LOG.debugf("no peers to probe: %s", e.getMessage());
            return;
        }
        roundTrips.keySet().retainAll(current.keySet());
        unanswering.retainAll(current.keySet());
        current.forEach(this::probe);
    }

    private void probe(long id, RaftPeer peer) {
        long start = System.nanoTime();
        ping.apply(peer.getAddress(), deadlineMs).whenComplete((answer, error) -> {
            Histogram histogram = roundTrips.get(id);
            if (error == null) {
                roundTrips.computeIfAbsent(id, k -> Histogram.exponential(0.0001, 2, 16))
                        .observeNanos(System.nanoTime() - start);
                if (unanswering.remove(id)) {
                    LOG.infof("peer %s (%s) answers probes again", peer.getId(), MemberId.hex(id));
                }
            } else if (histogram != null && unanswering.add(id)) {
                LOG.warnf("peer %s (%s) does not answer probes on %s: %s", peer.getId(), MemberId.hex(id),
                        peer.getAddress(), error.getMessage());
            }
        });
    }

    /** Round-trip times by the member ID of the peer, in etcd's buckets (0.1 ms to 3.3 s). */
    Map<Long, Histogram> roundTripTimes() {
        return Map.copyOf(roundTrips);
    }
}
