package dev.gantry.kv.client;

import java.util.List;

/** Whether a transaction's compares held, the revision after it, and what its failure branch read. */
public record TxnResult(boolean succeeded, long revision, List<Kv> elseGets) {
}
