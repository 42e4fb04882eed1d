package dev.gantry.api.it;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.client.KvClient;
import java.util.List;

/**
 * One real single-member Gantry server for a test class (kv-it's harness: free ports, a temporary data directory),
 * with a {@link KvClient} on its store for checking what the API wrote there.
 */
final class ApiServer implements AutoCloseable {
    final Cluster cluster;
    final Member member;
    final KvClient kv;

    private ApiServer(Cluster cluster) {
        this.cluster = cluster;
        this.member = cluster.members().getFirst();
        this.kv = KvClient.connect(member.clientUrl());
    }

    /** A server started with {@code flags} beyond the harness's own. */
    static ApiServer start(List<String> flags) {
        return new ApiServer(Cluster.start(Implementation.GANTRY, 1, flags));
    }

    @Override
    public void close() {
        kv.close();
        cluster.close();
    }
}
