package dev.gantry.api;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Node;
import dev.gantry.job.NodeState;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;

/**
 * {@code /api/v1/nodes}: the nodes as agents report them, merged with operator state and assignments;
 * cordon, drain and uncordon write the operator state in {@code /config/nodes/<id>}.
 */
@Path("/api/v1/nodes")
@Produces(MediaType.APPLICATION_JSON)
public class NodesResource {
    /** Node ids are hostnames or names given to agents: one key segment of letters, digits, '.', '_' and '-'. */
    static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");

    @Inject
    KvClient kv;

    Clock clock = Clock.systemUTC();

    @GET
    public Page<NodeView> list() {
        Map<String, String> nodes = new TreeMap<>();
        kv.list(Keys.NODES).kvs().forEach(e -> nodes.put(Keys.lastSegment(e.key()), e.value()));
        Map<String, NodeState> states = new TreeMap<>();
        kv.list(Keys.NODE_STATES).kvs().forEach(e -> states.put(Keys.lastSegment(e.key()), Json.read(e.value(), NodeState.class)));
        Map<String, List<Assignment>> assigned = new TreeMap<>();
        kv.list(Keys.ASSIGNMENTS).kvs().forEach(e -> {
            Assignment a = Json.read(e.value(), Assignment.class);
            assigned.computeIfAbsent(a.node(), n -> new ArrayList<>()).add(a);
        });
        TreeSet<String> ids = new TreeSet<>(nodes.keySet());
        ids.addAll(states.keySet());
        ids.addAll(assigned.keySet());
        return Page.of(ids.stream().map(id -> view(id, nodes.get(id), states.get(id), assigned.getOrDefault(id, List.of()))).toList());
    }

    @GET
    @Path("{id}")
    public NodeView get(@PathParam("id") String id) {
        Stored stored = read(id);
        return view(id, stored.node(), stored.state(), stored.assignments());
    }

    /** The three keys behind one node, as read: its agent's value (JSON), the operator's state, its assignments. */
    private record Stored(String node, NodeState state, List<Assignment> assignments) {
    }

    /** What the store holds about node {@code id}; 404 when it holds nothing. */
    private Stored read(String id) {
        checkId(id);
        String node = kv.get(Keys.node(id)).map(Kv::value).orElse(null);
        NodeState state = kv.get(Keys.nodeState(id)).map(e -> Json.read(e.value(), NodeState.class)).orElse(null);
        List<Assignment> assignments = kv.list(Keys.assignments(id)).kvs().stream().map(e -> Json.read(e.value(), Assignment.class)).toList();
        if (node == null && state == null && assignments.isEmpty()) {
            throw ApiException.notFound("no node " + id);
        }
        return new Stored(node, state, assignments);
    }

    static NodeView view(String id, String nodeJson, NodeState state, List<Assignment> assignments) {
        if (nodeJson == null) {
            return NodeView.of(id, null, state, assignments);
        }
        try {
            return NodeView.of(id, Json.read(nodeJson, Node.class), state, assignments);
        } catch (IllegalStateException e) {
            return NodeView.unreadable(id, "the value of " + Keys.node(id) + " is not a node: " + e.getMessage(), state, assignments);
        }
    }

    /** No new tasks on the node; its running tasks are left alone. */
    @POST
    @Path("{id}/cordon")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    public NodeView cordon(@PathParam("id") String id, String body) {
        return setState(id, NodeState.State.CORDONED, Reason.parse(body));
    }

    /** No new tasks; running ones finish (Slurm's drain). */
    @POST
    @Path("{id}/drain")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    public NodeView drain(@PathParam("id") String id, String body) {
        return setState(id, NodeState.State.DRAINING, Reason.parse(body));
    }

    /** Schedulable again: removes the operator state. */
    @POST
    @Path("{id}/uncordon")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    public NodeView uncordon(@PathParam("id") String id, String body) {
        Stored stored = read(id);
        kv.delete(Keys.nodeState(id));
        return view(id, stored.node(), null, stored.assignments());
    }

    /** Writes the operator state and answers the node with it; the agent's key and the assignments are read once, before. */
    private NodeView setState(String id, NodeState.State state, String reason) {
        Stored stored = read(id);
        NodeState written = new NodeState(state, reason, clock.instant());
        kv.put(Keys.nodeState(id), Json.write(written));
        return view(id, stored.node(), written, stored.assignments());
    }

    private static void checkId(String id) {
        if (!NODE_ID.matcher(id).matches()) {
            throw ApiException.badField("id", "is not a node id (letters, digits, '.', '_', '-')");
        }
    }
}
