package dev.gantry.api.live;

import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;

import dev.gantry.kv.api.etcd.MemberListRequest;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.api.etcd.StatusResponse;
import dev.gantry.kv.client.KvClient;

/**
 * Notices KV leader changes. The etcd protocol has no watch for them, so the member's status is asked every few
 * seconds ({@link LiveState} calls {@link #poll}); a change of leader or term from what was last seen becomes a
 * {@code cluster} event. The first answer only sets the baseline. A member that does not answer changes nothing:
 * a lost connection is what the clients' own stream shows.
 */
final class LeaderWatch {
    private final KvClient kv;
    private final Consumer<LiveEvent> publish;
    private String leader;
    private long term = -1;

    LeaderWatch(KvClient kv, Consumer<LiveEvent> publish) {
        this.kv = kv;
        this.publish = publish;
    }

    synchronized void poll() {
        StatusResponse status = kv.maintenanceStub().status(StatusRequest.getDefaultInstance());
        String now = status.getLeader() == 0 ? null : Long.toHexString(status.getLeader());
        boolean first = term < 0;
        if (!first && Objects.equals(now, leader) && status.getRaftTerm() == term) {
            return;
        }
        leader = now;
        term = status.getRaftTerm();
        if (!first) {
            publish.accept(LiveEvent.leader(now, name(status.getLeader()), term, Instant.now()));
        }
    }

    private String name(long id) {
        if (id == 0) {
            return null;
        }
        return kv.clusterStub().memberList(MemberListRequest.getDefaultInstance()).getMembersList().stream()
                .filter(m -> m.getID() == id).map(m -> m.getName()).findFirst().orElse(null);
    }
}
