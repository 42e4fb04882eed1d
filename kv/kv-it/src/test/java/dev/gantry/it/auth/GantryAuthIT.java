package dev.gantry.it.auth;

import dev.gantry.it.cluster.Implementation;

/** The auth suite against Gantry: it must behave as etcd does. */
class GantryAuthIT extends AuthSuite {
    @Override
    Implementation implementation() {
        return Implementation.GANTRY;
    }
}
