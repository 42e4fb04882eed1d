package dev.gantry.it.kv;

import dev.gantry.it.cluster.Implementation;

/** The KV semantics suite against the real etcd: proves that every test asserts what etcd really does. */
class EtcdKvSemanticsIT extends KvSemanticsSuite {

    @Override
    Implementation implementation() {
        return Implementation.ETCD;
    }
}
