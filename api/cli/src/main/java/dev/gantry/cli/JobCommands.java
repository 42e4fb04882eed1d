package dev.gantry.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.gantry.job.Json;

/** {@code gantry job submit|ls|get|cancel|events|logs}. */
final class JobCommands extends Cli.Group {
    private static final String USAGE = """
            Usage: gantry job <command>

              submit   submit a job (-f FILE, or flags)
              ls       list jobs
              get      show a job
              cancel   cancel a job
              events   a job's timeline
              logs     a job's output (-f follows it)

            Global flags: --server URL (default http://localhost:2381, env GANTRY_SERVER), -o json|table,
            --cacert FILE, --cert FILE --key FILE for an https:// server (as etcdctl's).
            Run 'gantry job <command> --help' for its flags.
            """;
    private static final Map<String, String> USAGES = Map.of(
            "submit", """
                    Usage: gantry job submit -f FILE [flags]
                           gantry job submit --name NAME --model M --dataset D [--dataset D2 ...] --train-type lora|qlora|full [flags]
                           gantry job submit --name NAME [flags] -- COMMAND [ARGS...]

                    Submits a job and prints its id. The job is accepted even when no node can run it yet: it stays
                    PENDING and 'gantry job get ID' says why.
                      -f, --file FILE        the job as JSON or YAML (by extension: .yaml/.yml are YAML; '-' reads stdin)
                      --name NAME            job name: lower-case letters, digits, '-' (the id is NAME-xxxxx)
                      --model MODEL          model id or path, e.g. Qwen/Qwen2.5-7B-Instruct
                      --dataset DATASET      a dataset (repeatable), e.g. AI-ModelScope/alpaca-gpt4-data-en#500
                      --train-type TYPE      lora, qlora or full
                      --gpus N               GPUs (default 1 for ms-swift jobs, 0 for commands)
                      --gpu-model TEXT       part of the GPU's name, e.g. H100 (case-insensitive)
                      --min-gpu-memory GIB   least memory per GPU, in GiB
                      --priority N           0..1000, higher first (default 50)
                      --max-retries N        times the job is requeued when its node is lost (default 3)
                      --label KEY=VALUE      a label (repeatable)
                      --env NAME=VALUE       an environment variable for the job (repeatable)
                      --secret-env NAME=SECRET
                                             an environment variable set from a secret (repeatable; see
                                             'gantry secret set'): the job stores the secret's name only
                      -- COMMAND ARGS...     run this command instead of ms-swift
                    """,
            "ls", """
                    Usage: gantry job ls [--status S[,S]] [--name NAME] [--label KEY=VALUE ...] [--limit N [--continue TOKEN]]

                    Lists jobs in id order. Without --limit, every job; with it, one page, and the token for the
                    next page on stderr.
                      --status S     PENDING, SCHEDULED, RUNNING, SUCCEEDED, FAILED or CANCELLED (comma-separated)
                      --name NAME    jobs submitted with this name
                      --label K=V    jobs carrying this label (repeatable: all must match)
                    """,
            "get", """
                    Usage: gantry job get ID

                    Shows one job: status, why it is pending or failed, node, GPUs, progress and its spec.
                    """,
            "cancel", """
                    Usage: gantry job cancel ID [--reason TEXT]

                    Cancels a job that has not finished; a running job's process is stopped by its agent.
                    A job that already finished cannot be cancelled (exit status 1).
                    """,
            "events", """
                    Usage: gantry job events ID

                    The job's timeline: every status change with its time, node, attempt and reason.
                    """,
            "logs", """
                    Usage: gantry job logs ID [-f] [--tail N] [--stderr]

                    Prints the output of the job's latest run, relayed from the agent of its node (logs stay on
                    the host that ran the job, under the agent's --work-dir).
                      -f, --follow   keep printing what the job writes until it ends (Ctrl-C stops reading)
                      --tail N       start with the last N lines (default 200, at most 10000)
                      --stderr       the job's standard error instead of its standard output
                    """);

    JobCommands(Cli.Context context) {
        super(context, USAGE, USAGES);
    }

    @Override
    void run(String command, List<String> rest) {
        switch (command) {
            case "submit" -> submit(rest);
            case "ls" -> list(rest);
            case "get" -> get(rest);
            case "cancel" -> cancel(rest);
            case "events" -> events(rest);
            case "logs" -> logs(rest);
            default -> throw new IllegalStateException(command);
        }
    }

    private void submit(List<String> rest) {
        Args args = context.parse(rest, Set.of("f", "file", "name", "model", "dataset", "train-type", "gpus", "gpu-model",
                "min-gpu-memory", "priority", "max-retries", "label", "env", "secret-env"), Set.of());
        args.noPositionals();
        String file = args.has("file") ? args.value("file") : args.value("f");
        String contentType;
        String body;
        if (file != null) {
            if (args.has("name") || args.has("model") || args.has("dataset") || args.hasRest()) {
                throw new UsageError("give the job either with -f or with flags, not both");
            }
            body = read(file);
            boolean yaml = file.endsWith(".yaml") || file.endsWith(".yml")
                    || (!file.endsWith(".json") && !body.stripLeading().startsWith("{"));
            contentType = yaml ? "application/yaml" : "application/json";
        } else {
            if (!args.has("name")) {
                throw new UsageError("give the job with -f FILE, or at least --name");
            }
            body = Json.write(fromFlags(args));
            contentType = "application/json";
        }
        Output output = context.output(args);
        JsonNode task = context.api(args).post("/jobs", contentType, body);
        output.print(task, () -> output.out.println("job " + Output.text(task, "id") + " submitted: " + Output.text(task, "status")
                + (task.hasNonNull("reason") ? " (" + Output.text(task, "reason") + ")" : "")));
    }

    /** The spec as JSON built from flags; the server validates it. */
    private static ObjectNode fromFlags(Args args) {
        ObjectNode spec = Json.mapper().createObjectNode();
        spec.put("name", args.value("name"));
        if (args.has("model")) {
            spec.put("model", args.value("model"));
        }
        if (args.has("dataset")) {
            ArrayNode datasets = spec.putArray("datasets");
            args.all("dataset").forEach(datasets::add);
        }
        if (args.has("train-type")) {
            spec.put("trainType", args.value("train-type"));
        }
        if (args.has("gpus") || args.has("gpu-model") || args.has("min-gpu-memory")) {
            ObjectNode resources = spec.putObject("resources");
            if (args.has("gpus")) {
                resources.put("gpus", args.integer("gpus"));
            }
            if (args.has("gpu-model")) {
                resources.put("gpuModel", args.value("gpu-model"));
            }
            if (args.has("min-gpu-memory")) {
                resources.put("minGpuMemoryGiB", args.integer("min-gpu-memory"));
            }
        }
        if (args.has("priority")) {
            spec.put("priority", args.integer("priority"));
        }
        if (args.has("max-retries")) {
            spec.put("maxRetries", args.integer("max-retries"));
        }
        pairs(args, "label", spec);
        pairs(args, "env", spec);
        pairs(args, "secret-env", spec);
        if (args.hasRest()) {
            ArrayNode command = spec.putArray("command");
            args.rest().forEach(command::add);
        }
        return spec;
    }

    private static void pairs(Args args, String flag, ObjectNode spec) {
        if (!args.has(flag)) {
            return;
        }
        ObjectNode map = spec.putObject(switch (flag) {
            case "label" -> "labels";
            case "secret-env" -> "secretEnv";
            default -> "env";
        });
        for (String pair : args.all(flag)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new UsageError("--" + flag + " must be KEY=VALUE, not '" + pair + "'");
            }
            map.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
    }

    private String read(String file) {
        try {
            if (file.equals("-")) {
                return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return Files.readString(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new UsageError("no such file: " + file);
        } catch (IOException e) {
            throw new UsageError("cannot read " + file + ": " + e.getMessage());
        }
    }

    private void list(List<String> rest) {
        Args args = context.parse(rest, Set.of("status", "name", "label", "limit", "continue"), Set.of());
        args.noPositionals();
        Output output = context.output(args);
        ApiClient api = context.api(args);
        StringBuilder query = new StringBuilder();
        if (args.has("status")) {
            query.append("&status=").append(ApiClient.encode(args.value("status").toUpperCase(Locale.ROOT)));
        }
        if (args.has("name")) {
            query.append("&name=").append(ApiClient.encode(args.value("name")));
        }
        args.all("label").forEach(l -> query.append("&label=").append(ApiClient.encode(l)));
        Integer limit = args.integer("limit");
        if (limit != null) {
            query.append("&limit=").append(limit);
        }
        List<JsonNode> tasks = new ArrayList<>();
        String token = args.value("continue");
        String next;
        do {
            String q = query + (token == null ? "" : "&continue=" + ApiClient.encode(token));
            JsonNode page = api.get("/jobs" + (q.isEmpty() ? "" : "?" + q.substring(1)));
            page.path("items").forEach(tasks::add);
            next = page.hasNonNull("continue") ? page.get("continue").asText() : null;
            token = next;
        } while (limit == null && next != null);
        if (output.json) {
            ObjectNode result = Json.mapper().createObjectNode();
            result.putArray("items").addAll(tasks);
            if (next != null) {
                result.put("continue", next);
            }
            output.json(result);
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode t : tasks) {
            rows.add(List.of(Output.text(t, "id"), Output.text(t, "status"), Output.text(t, "node"), Output.list(t.path("gpus")),
                    Output.text(t, "attempt"), output.age(Output.text(t, "createdAt")), Output.text(t, "reason")));
        }
        output.table(List.of("ID", "STATUS", "NODE", "GPUS", "ATTEMPT", "AGE", "REASON"), rows);
        if (next != null) {
            context.err.println("more jobs: gantry job ls --limit " + limit + " --continue " + next);
        }
    }

    private void get(List<String> rest) {
        Args args = context.parse(rest, Set.of(), Set.of());
        String id = args.single("job id");
        Output output = context.output(args);
        JsonNode t = context.api(args).get("/jobs/" + ApiClient.encode(id));
        output.print(t, () -> show(output, t));
    }

    private static void show(Output output, JsonNode t) {
        JsonNode spec = t.path("spec");
        JsonNode progress = t.path("progress");
        String progressText = progress.isMissingNode() ? null
                : String.format("step %s/%s (%s%%) loss %s eta %ss", Output.text(progress, "step"), Output.text(progress, "totalSteps"),
                        Output.text(progress, "percent"), Output.text(progress, "loss"), Output.text(progress, "etaSeconds"));
        output.fields(List.of(
                new String[] {"ID", Output.text(t, "id")},
                new String[] {"Status", Output.text(t, "status")},
                new String[] {"Reason", Output.text(t, "reason")},
                new String[] {"Node", Output.text(t, "node")},
                new String[] {"GPUs", Output.list(t.path("gpus"))},
                new String[] {"Attempt", Output.text(t, "attempt") + " (maxRetries " + Output.text(spec, "maxRetries") + ")"},
                new String[] {"Progress", progressText},
                new String[] {"Exit code", Output.text(t, "exitCode")},
                new String[] {"Submitted by", Output.text(t, "submittedBy")},
                new String[] {"Created", Output.text(t, "createdAt")},
                new String[] {"Scheduled", Output.text(t, "scheduledAt")},
                new String[] {"Started", Output.text(t, "startedAt")},
                new String[] {"Finished", Output.text(t, "finishedAt")},
                new String[] {"Model", Output.text(spec, "model")},
                new String[] {"Datasets", Output.list(spec.path("datasets"))},
                new String[] {"Train type", Output.text(spec, "trainType")},
                new String[] {"Command", Output.join(spec.path("command"), " ")},
                new String[] {"Resources", Output.text(spec, "resources")},
                new String[] {"Priority", Output.text(spec, "priority")},
                new String[] {"Labels", spec.path("labels").isEmpty() ? null : spec.path("labels").toString()}));
    }

    private void cancel(List<String> rest) {
        Args args = context.parse(rest, Set.of("reason"), Set.of());
        String id = args.single("job id");
        Output output = context.output(args);
        JsonNode t = context.api(args).post("/jobs/" + ApiClient.encode(id) + "/cancel", "application/json", Cli.Context.reasonBody(args));
        output.print(t, () -> output.out.println("job " + id + " " + Output.text(t, "status").toLowerCase(Locale.ROOT)));
    }

    private void events(List<String> rest) {
        Args args = context.parse(rest, Set.of(), Set.of());
        String id = args.single("job id");
        Output output = context.output(args);
        JsonNode events = context.api(args).get("/jobs/" + ApiClient.encode(id) + "/events");
        output.print(events, () -> {
            List<List<String>> rows = new ArrayList<>();
            events.path("items").forEach(e -> rows.add(List.of(Output.text(e, "at"), Output.text(e, "from"), Output.text(e, "to"),
                    Output.text(e, "attempt"), Output.text(e, "node"), Output.text(e, "reason"))));
            output.table(List.of("TIME", "FROM", "TO", "ATTEMPT", "NODE", "REASON"), rows);
        });
    }

    private void logs(List<String> rest) {
        Args args = context.parse(rest, Set.of("tail"), Set.of("f", "follow", "stderr"));
        String id = args.single("job id");
        Integer tail = args.integer("tail");
        String query = "?stream=" + (args.has("stderr") ? "stderr" : "stdout") + (tail != null ? "&tail=" + tail : "")
                + (args.has("f") || args.has("follow") ? "&follow=true" : "");
        context.api(args).stream("/jobs/" + ApiClient.encode(id) + "/logs" + query, context.out);
    }
}
