package dev.gantry.agent.node;

import dev.gantry.job.Keys;

/**
 * The lease under which this agent holds {@code /nodes/<node>} now. Every task write compares it
 * ({@code Txn.ifLease}): once the lease is gone — expired while the agent was cut off, or replaced by a new
 * registration — nothing written on the strength of the old one can land, however late it arrives.
 */
public record Fence(String node, long leaseId) {
    public String nodeKey() {
        return Keys.node(node);
    }
}
