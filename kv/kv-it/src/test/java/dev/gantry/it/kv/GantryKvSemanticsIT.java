package dev.gantry.it.kv;

import dev.gantry.it.cluster.Implementation;

/** The KV semantics suite against Gantry ({@code bin/gantry server}): Gantry must answer exactly as etcd does. */
class GantryKvSemanticsIT extends KvSemanticsSuite {

    @Override
    Implementation implementation() {
        return Implementation.GANTRY;
    }
}
