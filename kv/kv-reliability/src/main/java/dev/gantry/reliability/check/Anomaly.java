package dev.gantry.reliability.check;

/**
 * Something a checker found that a correct etcd-compatible store cannot produce.
 *
 * @param checker     which property failed, e.g. "linearizability", "watch"
 * @param explanation what was seen, with the operations or events involved, readable without the code
 */
public record Anomaly(String checker, String explanation) {
    @Override
    public String toString() {
        return "[" + checker + "] " + explanation;
    }
}
