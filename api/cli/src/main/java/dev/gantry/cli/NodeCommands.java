package dev.gantry.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code gantry node ls|get|cordon|uncordon|drain}. */
final class NodeCommands extends Cli.Group {
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
            "uncordon", STATE_USAGE.formatted("uncordon", "Makes a cordoned or draining node schedulable again."));

    NodeCommands(Cli.Context context) {
        super(context, USAGE, USAGES);
    }

    @Override
    void run(String command, List<String> rest) {
        switch (command) {
            case "ls" -> list(rest);
            case "get" -> get(rest);
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
