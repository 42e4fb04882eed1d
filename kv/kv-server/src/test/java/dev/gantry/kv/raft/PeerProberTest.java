package dev.gantry.kv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;

class PeerProberTest {
    private final List<RaftPeer> conf = new ArrayList<>(List.of(peer("a"), peer("b"), peer("c")));
    /** The pings sent, by address, not yet answered. */
    private final Map<String, CompletableFuture<Object>> pings = new HashMap<>();
    private final PeerProber prober = new PeerProber(RaftPeerId.valueOf("a"), () -> conf,
            id -> id.toString().charAt(0), (address, deadline) -> pings.computeIfAbsent(address, a -> new CompletableFuture<>()),
            1000);

    private static RaftPeer peer(String name) {
        return RaftPeer.newBuilder().setId(name).setAddress(name + ":2380").build();
    }

    private void answerAll() {
        pings.values().forEach(p -> p.complete(new Object()));
        pings.clear();
    }

    @Test
    void probesEveryOtherPeerOfTheCurrentConfigurationAndRecordsEachAnswer() {
        prober.probe();
        assertThat(pings).containsOnlyKeys("b:2380", "c:2380");
        answerAll();
        prober.probe();
        answerAll();
        assertThat(prober.roundTripTimes()).containsOnlyKeys((long) 'b', (long) 'c');
        assertThat(prober.roundTripTimes().get((long) 'b').snapshot().count()).isEqualTo(2);

        conf.removeIf(p -> p.getId().toString().equals("c"));
        conf.add(peer("d"));
        prober.probe();
        assertThat(pings).containsOnlyKeys("b:2380", "d:2380");
        answerAll();
        assertThat(prober.roundTripTimes()).as("a removed member is forgotten").containsOnlyKeys((long) 'b', (long) 'd');
    }

    @Test
    void aFailedProbeRecordsNothing() {
        prober.probe();
        pings.get("b:2380").completeExceptionally(new IllegalStateException("UNAVAILABLE"));
        pings.get("c:2380").complete(new Object());
        assertThat(prober.roundTripTimes()).containsOnlyKeys((long) 'c');
    }
}
