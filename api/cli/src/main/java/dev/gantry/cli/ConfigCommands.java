package dev.gantry.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code gantry config get|set}: the JSON values under {@code /config/}. */
final class ConfigCommands extends Cli.Group {
    private static final String USAGE = """
            Usage: gantry config <command>

              get [KEY]       show config
              set KEY JSON    store a JSON value

            Global flags: --server URL (default http://localhost:2381, env GANTRY_SERVER), -o json|table,
            --cacert FILE, --cert FILE --key FILE for an https:// server (as etcdctl's).
            """;
    private static final Map<String, String> USAGES = Map.of(
            "get", """
                    Usage: gantry config get [KEY]

                    Without KEY, every config key with its value; with KEY, the value of /config/KEY.
                    """,
            "set", """
                    Usage: gantry config set KEY JSON

                    Stores JSON (any JSON value; quote it for the shell) under /config/KEY. Refused unless it
                    parses. Example: gantry config set scheduler/policy '{"binpack": true}'
                    """);

    ConfigCommands(Cli.Context context) {
        super(context, USAGE, USAGES);
    }

    @Override
    void run(String command, List<String> rest) {
        Args args = context.parse(rest, Set.of(), Set.of());
        Output output = context.output(args);
        ApiClient api = context.api(args);
        if (command.equals("set")) {
            if (args.positionals().size() != 2) {
                throw new UsageError("expected KEY JSON");
            }
            JsonNode entry = api.put("/config/" + path(args.positionals().get(0)), "application/json", args.positionals().get(1));
            output.print(entry, () -> output.out.println(
                    "config " + Output.text(entry, "key") + " set (revision " + Output.text(entry, "modRevision") + ")"));
            return;
        }
        if (args.positionals().size() > 1) {
            throw new UsageError("expected at most one KEY");
        }
        if (args.positionals().size() == 1) {
            output.json(api.get("/config/" + path(args.positionals().getFirst())));
            return;
        }
        JsonNode all = api.get("/config");
        output.print(all, () -> {
            List<List<String>> rows = new ArrayList<>();
            all.path("items").forEach(e -> rows.add(List.of(Output.text(e, "key"), Output.text(e, "modRevision"), e.path("value").toString())));
            output.table(List.of("KEY", "REVISION", "VALUE"), rows);
        });
    }

    /** The key's segments URL-encoded, its slashes kept. */
    private static String path(String key) {
        List<String> segments = new ArrayList<>();
        for (String s : key.replaceFirst("^/+", "").split("/", -1)) {
            segments.add(ApiClient.encode(s));
        }
        return String.join("/", segments);
    }
}
