package dev.gantry.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.gantry.kv.client.EtcdUser;
import dev.gantry.kv.client.KvClient;
import io.grpc.StatusRuntimeException;

/** {@code gantry node ls|get|cordon|uncordon|drain} through the REST API, and {@code gantry node credential} over etcd v3. */
final class NodeCommands extends Cli.Group {
    /** The agent's --node-id. */
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final String STATE_USAGE = """
            Usage: gantry node %s ID [--reason TEXT]

            %s
            """;
    private static final String USAGE = """
            Usage: gantry node <command>

              ls         list nodes
              get        show a node
              cordon     no new tasks on a node
              drain      no new tasks; running ones finish
              uncordon   schedulable again
              credential make the etcd user a node's agent connects as, once authentication is on

            Global flags: --server URL (default http://localhost:2381, env GANTRY_SERVER), -o json|table,
            --cacert FILE, --cert FILE --key FILE for an https:// server (as etcdctl's).
            """;
    private static final Map<String, String> USAGES = Map.of(
            "ls", """
                    Usage: gantry node ls

                    Every node: agents' nodes, with the operator's state (cordoned, draining) and the tasks
                    assigned to them. 'lost' is a node whose agent stopped renewing its lease while tasks were
                    still assigned to it.
                    """,
            "get", """
                    Usage: gantry node get ID

                    One node: its GPUs, state and tasks.
                    """,
            "cordon", STATE_USAGE.formatted("cordon", "No new tasks on the node; running tasks are left alone."),
            "drain", STATE_USAGE.formatted("drain", "No new tasks on the node; running tasks finish (Slurm's drain)."),
            "uncordon", STATE_USAGE.formatted("uncordon", "Makes a cordoned or draining node schedulable again."),
            "credential", """
                    Usage: gantry node credential NODE (--node-password-file FILE | --no-password)
                                                  [--user root --password-file FILE] [--endpoints URLS]

                    Makes the etcd user node-NODE that the agent of NODE connects as once etcd authentication is
                    on ('gantry agent --node-id NODE --user node-NODE --password-file FILE'), with one role,
                    node-NODE, that may do what an agent does and no more:
                      READWRITE /nodes/NODE           its registration, under its lease
                      READWRITE /assignments/NODE/    its assignments: watched, deleted as tasks end
                      READWRITE /tasks/               task records (RBAC cannot narrow this to NODE's tasks;
                                                      fencing does, for an agent that is not hostile)
                      READ      /secrets/             job secrets, read when a task is launched
                    So the credential cannot register or take the assignments of another node. Running it
                    again makes it so again: missing permissions granted, others revoked, the password
                    replaced. Talks etcd v3 to --endpoints, as a user that may manage users (root).

                      --node-password-file FILE   the new user's password (the file's content, less a final
                                                  line break)
                      --no-password               no password: the agent presents a client certificate whose
                                                  common name is node-NODE (servers with --client-cert-auth)
                      --user NAME                 who makes it: root, or another user with the root role
                      --password-file FILE        that user's password
                      --endpoints URLS            etcd v3 endpoints (default http://localhost:2379, env
                                                  GANTRY_ENDPOINTS); --cacert, --cert, --key for https://
                    """);

    NodeCommands(Cli.Context context) {
        super(context, USAGE, USAGES);
    }

    @Override
    void run(String command, List<String> rest) {
        switch (command) {
            case "ls" -> list(rest);
            case "get" -> get(rest);
            case "credential" -> credential(rest);
            default -> setState(command, rest);
        }
    }

    private void list(List<String> rest) {
        Args args = context.parse(rest, Set.of(), Set.of());
        args.noPositionals();
        Output output = context.output(args);
        JsonNode nodes = context.api(args).get("/nodes");
        output.print(nodes, () -> {
            List<List<String>> rows = new ArrayList<>();
            nodes.path("items").forEach(n -> rows.add(List.of(Output.text(n, "id"), Output.text(n, "status"), Output.text(n, "hostname"),
                    n.path("gpusInUse").size() + "/" + n.path("gpus").size(), models(n), tasks(n), reason(n))));
            output.table(List.of("ID", "STATUS", "HOSTNAME", "GPUS USED", "GPU MODEL", "TASKS", "REASON"), rows);
        });
    }

    private void get(List<String> rest) {
        Args args = context.parse(rest, Set.of(), Set.of());
        String id = args.single("node id");
        Output output = context.output(args);
        JsonNode n = context.api(args).get("/nodes/" + ApiClient.encode(id));
        output.print(n, () -> show(output, n));
    }

    private void credential(List<String> rest) {
        Args args = context.parse(rest, Set.of("node-password-file", "user", "password-file"), Set.of("no-password"));
        String node = args.single("node id");
        if (!NODE_ID.matcher(node).matches()) {
            throw new UsageError("node id '" + node + "' must be 1-63 letters, digits, '.', '_' or '-' (as the agent's --node-id)");
        }
        if (args.has("no-password") == args.has("node-password-file")) {
            throw new UsageError("give the new user's password with --node-password-file FILE, or --no-password for an agent "
                    + "that authenticates with its client certificate");
        }
        String password;
        try {
            password = args.has("no-password") ? null : EtcdUser.read("--node-password-file", Path.of(args.value("node-password-file")));
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
        try (KvClient kv = context.etcd(args)) {
            NodeCredential.provision(kv.authStub(), node, password).forEach(context.out::println);
        } catch (StatusRuntimeException e) {
            throw new CommandFailed("etcd request to " + context.endpoints(args) + " failed: " + e.getStatus().getDescription());
        }
        context.out.println("Start the agent of " + node + " with: gantry agent --node-id " + node + " --user "
                + NodeCredential.userOf(node) + (password == null ? " --cert FILE --key FILE (CN=" + NodeCredential.userOf(node) + ")"
                : " --password-file FILE"));
    }

    private static void show(Output output, JsonNode n) {
        output.fields(List.of(
                new String[] {"ID", Output.text(n, "id")},
                new String[] {"Status", Output.text(n, "status")},
                new String[] {"Reason", reason(n)},
                new String[] {"Problem", Output.text(n, "problem")},
                new String[] {"Hostname", Output.text(n, "hostname")},
                new String[] {"Simulated", Output.text(n, "simulated")},
                new String[] {"CPUs", Output.text(n, "cpus")},
                new String[] {"Memory MiB", Output.text(n, "memoryMiB")},
                new String[] {"Labels", n.path("labels").isEmpty() ? null : n.path("labels").toString()},
                new String[] {"Agent", Output.text(n, "agentVersion")},
                new String[] {"Registered", Output.text(n, "registeredAt")},
                new String[] {"Updated", Output.text(n, "updatedAt")},
                new String[] {"Tasks", tasks(n)}));
        if (!n.path("gpus").isEmpty()) {
            output.out.println();
            List<List<String>> rows = new ArrayList<>();
            n.path("gpus").forEach(g -> rows.add(List.of(Output.text(g, "index"), Output.text(g, "name"),
                    Output.text(g, "memoryUsedMiB") + "/" + Output.text(g, "memoryTotalMiB"), Output.text(g, "utilizationPercent"),
                    Output.text(g, "temperatureC"), Output.text(g, "healthy"), Output.text(g, "uuid"))));
            output.table(List.of("GPU", "NAME", "MEMORY MiB", "UTIL %", "TEMP C", "HEALTHY", "UUID"), rows);
        }
    }

    private void setState(String command, List<String> rest) {
        Args args = context.parse(rest, Set.of("reason"), Set.of());
        String id = args.single("node id");
        Output output = context.output(args);
        JsonNode n = context.api(args).post("/nodes/" + ApiClient.encode(id) + "/" + command, "application/json", Cli.Context.reasonBody(args));
        output.print(n, () -> output.out.println("node " + id + " " + Output.text(n, "status")));
    }

    private static String models(JsonNode node) {
        TreeSet<String> models = new TreeSet<>();
        node.path("gpus").forEach(g -> models.add(Output.text(g, "name")));
        return String.join(",", models);
    }

    private static String tasks(JsonNode node) {
        List<String> ids = new ArrayList<>();
        node.path("tasks").forEach(t -> ids.add(Output.text(t, "id")));
        return String.join(",", ids);
    }

    private static String reason(JsonNode node) {
        return Output.text(node.path("operatorState"), "reason");
    }
}
