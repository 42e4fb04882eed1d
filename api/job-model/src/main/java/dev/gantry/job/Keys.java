package dev.gantry.job;

/**
 * The key layout of the job layer in Gantry KV (docs/api.md, "Keys"). Everything is an ordinary etcd key, so
 * {@code etcdctl get --prefix /tasks/} shows what the API shows.
 */
public final class Keys {
    public static final String TASKS = "/tasks/";
    public static final String ASSIGNMENTS = "/assignments/";
    /** Written by each agent under its own lease: the key vanishes when the agent stops renewing. */
    public static final String NODES = "/nodes/";
    public static final String CONFIG = "/config/";
    /** Operator intent (cordon, drain), kept apart from the agent's lease-bound key so re-registering never erases it. */
    public static final String NODE_STATES = "/config/nodes/";
    /** Named secret values, referenced by a spec's {@code secretEnv}; only agents and the API's existence check read them. */
    public static final String SECRETS = "/secrets/";
    public static final String SCHEDULER_ELECTION = "/election/scheduler";
    /** REST API tokens ({@code gantry token create}): who holds each and its role, never its secret. */
    public static final String TOKENS = "/tokens/";

    private Keys() {
    }

    public static String task(String id) {
        return TASKS + id;
    }

    /** The prefix an agent watches: every assignment of one node. */
    public static String assignments(String node) {
        return ASSIGNMENTS + node + "/";
    }

    public static String assignment(String node, String taskId) {
        return assignments(node) + taskId;
    }

    public static String node(String id) {
        return NODES + id;
    }

    public static String nodeState(String id) {
        return NODE_STATES + id;
    }

    public static String token(String id) {
        return TOKENS + id;
    }

    public static String config(String key) {
        return CONFIG + key;
    }

    public static String secret(String name) {
        return SECRETS + name;
    }

    /** The last segment of a key: the id in {@code /tasks/<id>} or {@code /nodes/<id>}. */
    public static String lastSegment(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
