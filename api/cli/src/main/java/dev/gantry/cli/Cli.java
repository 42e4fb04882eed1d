package dev.gantry.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.TreeMap;

import dev.gantry.job.Json;
import dev.gantry.kv.client.EtcdUser;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.TlsOptions;

/**
 * {@code gantry job|node|config|secret|kv ...}: the command line client. REST commands talk to {@code --server}
 * (default http://localhost:2381, or $GANTRY_SERVER); {@code kv} talks etcd v3 to {@code --endpoints}
 * (default http://localhost:2379, or $GANTRY_ENDPOINTS). Exit status: 0 done, 1 refused or failed, 2 usage.
 */
public final class Cli {
    /** The command groups, in the order the usage lists them. */
    private static final List<String> GROUP_ORDER = List.of("job", "node", "config", "secret", "kv", "token");
    public static final Set<String> GROUPS = Set.copyOf(GROUP_ORDER);

    static final String USAGE = """
            Usage: gantry <job|node|config|secret|kv|token> <command> [flags]

              job submit -f FILE | --name N ...   submit a fine-tune job (JSON or YAML)
              job ls [--status S] [--name N] [--label k=v] [--limit N]
              job get ID | job cancel ID | job events ID
              node ls | node get ID | node cordon|uncordon|drain ID [--reason R]
              node credential NODE ...            the etcd user of a node's agent (etcd v3, --endpoints)
              config get [KEY] | config set KEY JSON
              secret set NAME --from-file F | secret list | secret delete NAME
                                                  values jobs get as environment (secretEnv)
              kv get|put|del|watch ...            the etcd v3 API directly
              token create|ls|revoke ...          REST API tokens (through the etcd v3 API)

            Global flags:
              --server URL      the REST API (default http://localhost:2381, env GANTRY_SERVER)
              --token TOKEN     the API token, for servers run with --api-auth on (env GANTRY_TOKEN)
              --endpoints URLS  etcd v3 endpoints for 'kv' (default http://localhost:2379, env GANTRY_ENDPOINTS)
              -o json|table     output format (default table)
              --cacert FILE     for https:// servers: the CA that signed their certificates
                                (default: the JDK's trusted CAs; env GANTRY_CACERT)
              --cert FILE --key FILE
                                a client certificate and key, for servers that require one
                                (--client-cert-auth; env GANTRY_CERT, GANTRY_KEY)

            Run 'gantry <group> <command> --help' for a command's flags.
            Exit status: 0 done, 1 refused by the server or unreachable, 2 bad usage.
            """;

    private Cli() {
    }

    /** Runs one command and returns its exit status. */
    public static int run(PrintStream out, PrintStream err, Map<String, String> env, String... args) {
        if (args.length == 0 || isHelp(args[0])) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String group = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        Context context = new Context(out, err, env, Instant.now());
        try {
            group(group, context).run(rest);
            return 0;
        } catch (UsageError e) {
            err.println("gantry " + group + ": " + e.getMessage());
            err.println("Run 'gantry " + (GROUPS.contains(group) ? group + " " : "") + "--help' for usage.");
            return 2;
        } catch (CommandFailed e) {
            err.println("Error: " + e.getMessage());
            e.details().forEach(d -> err.println("  " + d));
            return 1;
        }
    }

    private static Group group(String name, Context context) {
        return switch (name) {
            case "job" -> new JobCommands(context);
            case "node" -> new NodeCommands(context);
            case "config" -> new ConfigCommands(context);
            case "secret" -> new SecretCommands(context);
            case "kv" -> new KvCommands(context);
            case "token" -> new TokenCommands(context);
            default -> throw new UsageError("unknown command group '" + name + "'");
        };
    }

    /**
     * Every help text by command line, in order: {@code ""} (this usage), then each group ({@code "job"}) followed by
     * its commands in alphabetical order ({@code "job cancel"}). docs/cli-reference.md is generated from them.
     */
    public static SequencedMap<String, String> helpTexts() {
        SequencedMap<String, String> texts = new LinkedHashMap<>();
        texts.put("", USAGE);
        Context context = new Context(System.out, System.err, Map.of(), Instant.now());
        for (String name : GROUP_ORDER) {
            Group group = group(name, context);
            texts.put(name, group.usage);
            new TreeMap<>(group.usages).forEach((command, usage) -> texts.put(name + " " + command, usage));
        }
        return texts;
    }

    static boolean isHelp(String arg) {
        return arg.equals("-h") || arg.equals("--help") || arg.equals("help");
    }

    /** What every command gets: its streams, the environment, and the global flags once parsed. */
    static final class Context {
        static final Set<String> GLOBAL_VALUE_FLAGS = Set.of("server", "endpoints", "o", "output", "cacert", "cert", "key", "token");

        final PrintStream out;
        final PrintStream err;
        final Map<String, String> env;
        final Instant now;

        Context(PrintStream out, PrintStream err, Map<String, String> env, Instant now) {
            this.out = out;
            this.err = err;
            this.env = env;
            this.now = now;
        }

        /** Parses a command's flags together with the global ones. */
        Args parse(List<String> args, Set<String> valueFlags, Set<String> booleanFlags) {
            Set<String> values = new HashSet<>(valueFlags);
            values.addAll(GLOBAL_VALUE_FLAGS);
            return Args.parse(args, values, booleanFlags);
        }

        ApiClient api(Args args) {
            String server = args.value("server");
            if (server == null) {
                server = env.getOrDefault("GANTRY_SERVER", "http://localhost:2381");
            }
            String token = args.has("token") ? args.value("token") : env.get("GANTRY_TOKEN");
            return new ApiClient(server, tls(args), token == null || token.isBlank() ? null : token.strip());
        }

        /** etcdctl's {@code --cacert --cert --key} (or $GANTRY_CACERT, $GANTRY_CERT, $GANTRY_KEY), read and checked. */
        TlsOptions tls(Args args) {
            try {
                TlsOptions tls = new TlsOptions(file(args, "cacert", "GANTRY_CACERT"), file(args, "cert", "GANTRY_CERT"),
                        file(args, "key", "GANTRY_KEY"));
                tls.check();
                return tls;
            } catch (IllegalArgumentException e) {
                throw new UsageError(e.getMessage());
            }
        }

        private Path file(Args args, String flag, String variable) {
            String value = args.has(flag) ? args.value(flag) : env.get(variable);
            return value == null || value.isBlank() ? null : Path.of(value);
        }

        /**
         * An etcd v3 client for {@code --endpoints}, over TLS as {@code --cacert --cert --key} say, as {@code --user}
         * (its password in {@code --password-file}) when one is given; the command must accept those flags.
         */
        KvClient etcd(Args args) {
            TlsOptions tls = tls(args);
            EtcdUser user = null;
            if (args.has("user") || args.has("password-file")) {
                if (!args.has("user") || !args.has("password-file")) {
                    throw new UsageError("--user NAME and --password-file FILE go together");
                }
                try {
                    user = EtcdUser.of("--user", args.value("user"), "--password-file", Path.of(args.value("password-file")));
                } catch (IllegalArgumentException e) {
                    throw new UsageError(e.getMessage());
                }
            }
            try {
                return KvClient.connect(endpoints(args), tls, user);
            } catch (IllegalArgumentException e) {
                throw new UsageError("--endpoints: " + e.getMessage());
            }
        }

        String endpoints(Args args) {
            String endpoints = args.value("endpoints");
            return endpoints != null ? endpoints : env.getOrDefault("GANTRY_ENDPOINTS", "http://localhost:2379");
        }

        /** The optional body of cancel, cordon, drain and uncordon: {@code {"reason": "..."}} from --reason, or empty. */
        static String reasonBody(Args args) {
            return args.has("reason") ? Json.write(Map.of("reason", args.value("reason"))) : "";
        }

        Output output(Args args) {
            String format = args.has("output") ? args.value("output") : args.value("o");
            if (format == null || format.equals("table")) {
                return new Output(out, false, now);
            }
            if (format.equals("json")) {
                return new Output(out, true, now);
            }
            throw new UsageError("-o must be json or table, not '" + format + "'");
        }
    }

    /**
     * A group's dispatch: the subcommand, its --help, or a usage error. A group gives its own usage and one per
     * subcommand (the keys are its subcommands), and runs a subcommand once its name is known.
     */
    abstract static class Group {
        final Context context;
        private final String usage;
        private final Map<String, String> usages;

        Group(Context context, String usage, Map<String, String> usages) {
            this.context = context;
            this.usage = usage;
            this.usages = usages;
        }

        abstract void run(String command, List<String> args);

        final void run(List<String> args) {
            if (args.isEmpty()) {
                throw new UsageError("missing command");
            }
            if (isHelp(args.getFirst())) {
                context.out.print(usage);
                return;
            }
            String command = args.getFirst();
            String commandUsage = usages.get(command);
            if (commandUsage == null) {
                throw new UsageError("unknown command '" + command + "'");
            }
            List<String> rest = args.subList(1, args.size());
            int dashDash = rest.indexOf("--");
            List<String> flags = dashDash < 0 ? rest : rest.subList(0, dashDash);
            if (flags.stream().anyMatch(a -> a.equals("-h") || a.equals("--help"))) {
                context.out.print(commandUsage);
                return;
            }
            run(command, rest);
        }
    }
}
