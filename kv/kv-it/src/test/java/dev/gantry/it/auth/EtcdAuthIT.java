package dev.gantry.it.auth;

import dev.gantry.it.cluster.Implementation;

/** The auth suite against the real etcd: proves that every test asserts what etcd really does. */
class EtcdAuthIT extends AuthSuite {
    @Override
    Implementation implementation() {
        return Implementation.ETCD;
    }
}
