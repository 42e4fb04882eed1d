package dev.gantry.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.gantry.job.Secret;

/**
 * {@code gantry secret set|list|delete}: the named values jobs reference in {@code secretEnv}. A value is read from a
 * file, an environment variable or stdin, never from the command line (shell history, {@code ps}), and the server
 * never gives one back.
 */
final class SecretCommands extends Cli.Group {
    private static final String USAGE = """
            Usage: gantry secret <command>

              set NAME (--from-file FILE | --from-env VAR | --from-stdin)
                              create or replace a secret
              list            secrets' names, sizes and times (never their values)
              delete NAME     delete a secret

            A job uses a secret as an environment variable: secretEnv: {HF_TOKEN: hf-token}.

            Global flags: --server URL (default http://localhost:2381, env GANTRY_SERVER), -o json|table,
            --cacert FILE, --cert FILE --key FILE for an https:// server (as etcdctl's).
            """;
    private static final Map<String, String> USAGES = Map.of(
            "set", """
                    Usage: gantry secret set NAME (--from-file FILE | --from-env VAR | --from-stdin)

                    Creates the secret NAME, or replaces its value. The value is taken byte for byte, a trailing
                    newline included (write the file with printf '%s', not echo, if the job must not see one):
                      --from-file FILE   the file's content
                      --from-env VAR     the value of the environment variable VAR of this shell
                      --from-stdin       everything read from stdin
                    The value is never given on the command line: it would stay in the shell's history and show
                    in ps. UTF-8 text, 1 byte to 64 KiB. NAME: lower-case letters, digits and '-', at most 63.
                    Jobs reference it by name: secretEnv: {HF_TOKEN: NAME}.
                    Example: gantry secret set hf-token --from-file ~/.cache/huggingface/token
                    """,
            "list", """
                    Usage: gantry secret list

                    Every secret's name, size in bytes, and when it was created and last updated. No command
                    and no API call shows a value.
                    """,
            "delete", """
                    Usage: gantry secret delete NAME

                    Deletes the secret. Jobs that reference it and have not started yet fail when they start.
                    """);

    SecretCommands(Cli.Context context) {
        super(context, USAGE, USAGES);
    }

    @Override
    void run(String command, List<String> rest) {
        switch (command) {
            case "set" -> set(rest);
            case "list" -> list(rest);
            default -> delete(rest);
        }
    }

    private void set(List<String> rest) {
        Args args = context.parse(rest, Set.of("from-file", "from-env"), Set.of("from-stdin"));
        if (args.positionals().size() > 1) {
            // Not echoed: the extra argument is probably the value.
            throw new UsageError("a secret's value is never given on the command line (it would stay in the shell's history "
                    + "and show in ps): use --from-file, --from-env or --from-stdin");
        }
        String name = name(args);
        List<String> sources = List.of("from-file", "from-env", "from-stdin").stream().filter(args::has).toList();
        if (sources.size() != 1) {
            throw new UsageError("give the value with exactly one of --from-file FILE, --from-env VAR, --from-stdin");
        }
        byte[] value = switch (sources.getFirst()) {
            case "from-file" -> file(args.value("from-file"));
            case "from-env" -> variable(args.value("from-env"));
            default -> stdin();
        };
        try {
            Secret.decode(value); // the server's rules, checked before anything is sent
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
        Output output = context.output(args);
        JsonNode info = context.api(args).put("/secrets/" + name, "application/octet-stream", value);
        output.print(info, () -> output.out.println("secret " + name + " set (" + Output.text(info, "size") + " bytes)"));
    }

    private void list(List<String> rest) {
        Args args = context.parse(rest, Set.of(), Set.of());
        args.noPositionals();
        Output output = context.output(args);
        JsonNode all = context.api(args).get("/secrets");
        output.print(all, () -> {
            List<List<String>> rows = new ArrayList<>();
            all.path("items").forEach(s -> rows.add(List.of(Output.text(s, "name"), Output.text(s, "size"),
                    output.age(Output.text(s, "createdAt")), output.age(Output.text(s, "updatedAt")))));
            output.table(List.of("NAME", "BYTES", "CREATED", "UPDATED"), rows);
        });
    }

    private void delete(List<String> rest) {
        Args args = context.parse(rest, Set.of(), Set.of());
        String name = name(args);
        if (args.positionals().size() > 1) {
            throw new UsageError("expected one secret NAME");
        }
        context.api(args).delete("/secrets/" + name);
        context.out.println("secret " + name + " deleted");
    }

    private static String name(Args args) {
        if (args.positionals().isEmpty()) {
            throw new UsageError("missing secret NAME");
        }
        String name = args.positionals().getFirst();
        if (!Secret.validName(name)) {
            throw new UsageError("secret NAME must be " + Secret.NAME_RULE);
        }
        return name;
    }

    private static byte[] file(String file) {
        try {
            Path path = Path.of(file);
            if (Files.isRegularFile(path) && Files.size(path) > Secret.MAX_BYTES) {
                throw new UsageError(file + " is " + Files.size(path) + " bytes; a secret is at most " + Secret.MAX_BYTES + " (64 KiB)");
            }
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new UsageError("no such file: " + file);
        } catch (IOException e) {
            throw new UsageError("cannot read " + file + ": " + e.getMessage());
        }
    }

    private byte[] variable(String name) {
        String value = context.env.get(name);
        if (value == null) {
            throw new UsageError("environment variable " + name + " is not set");
        }
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] stdin() {
        try {
            return System.in.readNBytes(Secret.MAX_BYTES + 1);
        } catch (IOException e) {
            throw new UsageError("cannot read stdin: " + e.getMessage());
        }
    }
}
