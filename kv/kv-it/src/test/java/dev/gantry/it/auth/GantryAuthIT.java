package dev.gantry.it.auth;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.gantry.it.cluster.Implementation;
import dev.gantry.kv.api.etcd.AuthGrpc;
import dev.gantry.kv.api.etcd.AuthStatusRequest;
import dev.gantry.kv.api.etcd.AuthStatusResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The auth suite against Gantry: it must behave as etcd does. */
class GantryAuthIT extends AuthSuite {
    @Override
    Implementation implementation() {
        return Implementation.GANTRY;
    }

    /** etcd 3.5's AuthStatus (etcd 3.4 does not serve it): anyone may ask. */
    @Test
    void authStatusReportsAuthEnabledAndTheAuthRevisionThatEachChangeMovesOn() {
        AuthStatusResponse before = status();
        assertThat(before.getEnabled()).isTrue();

        ok(etcdctl.run(ROOT, "role", "add", "status-probe"));
        assertThat(status().getAuthRevision()).isEqualTo(before.getAuthRevision() + 1);
        ok(etcdctl.run(ROOT, "role", "delete", "status-probe"));
        assertThat(status().getAuthRevision()).isEqualTo(before.getAuthRevision() + 2);
    }

    private AuthStatusResponse status() {
        return AuthGrpc.newBlockingStub(cluster.members().get(2).channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .authStatus(AuthStatusRequest.getDefaultInstance());
    }
}
