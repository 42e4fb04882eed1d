package dev.gantry.agent;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;

import dev.gantry.agent.gpu.SimulatedGpus;
import dev.gantry.kv.client.EtcdUser;
import dev.gantry.kv.client.TlsOptions;

/** {@code gantry agent [flags]}: checks the flags, starts the {@link Agent}, and stops it on SIGTERM/SIGINT. */
public final class AgentCommand {
    public static final String USAGE = """
            Usage: gantry agent [flags]

            Runs the worker agent of one GPU host: registers the host as /nodes/<node-id> under a lease it keeps
            alive, discovers its GPUs with nvidia-smi, runs the tasks the scheduler assigns to it (ms-swift's
            'swift sft', or the job's own command) and reports their progress and exit. If it cannot renew its
            lease for a TTL it stops its tasks itself: the scheduler places them elsewhere.

            Flags:
              --endpoints URLS           Gantry servers' client URLs, comma-separated; any member will do, the agent
                                         fails over between them (default http://localhost:2379, env GANTRY_ENDPOINTS)
              --node-id ID               this node's name in /nodes/ (default: the host name)
              --lease-ttl SECONDS        the node's lease TTL; it is renewed every third of it, and the node's tasks
                                         are requeued this long after the agent stops answering (default 10)
              --work-dir DIR             one directory per task run: its output dir, stdout.log, stderr.log
                                         (default ./gantry-agent)
              --simulate-gpus SPEC       declare GPUs instead of discovering them, for test rigs and dry runs:
                                         COUNTxMODEL[-MEMORYGB][,...], e.g. 8xH100-80GB; the node says it is simulated
              --labels K=V,...           labels for the node (jobs do not select on them yet; shown in the API)
              --listen-logs HOST:PORT    where the agent serves its tasks' logs to the servers
                                         (default 0.0.0.0:2390; port 0 picks a free one)
              --advertise-logs-url URL   how servers reach that (default http://<host name>:<port>)
              --stop-grace DURATION      SIGTERM, then SIGKILL this much later, when a task is cancelled or
                                         stopped (default 10s)
              --progress-interval DURATION  the most often a task's progress is written (default 3s)
              --telemetry-interval DURATION how often GPU telemetry is re-read (default 10s)
              --cacert FILE              the CA of https:// endpoints (default: the JDK's trusted CAs)
              --cert FILE --key FILE     a client certificate, for servers started with --client-cert-auth; with
                                         etcd authentication on, its common name is the agent's user
              --user NAME                the etcd user the agent connects as, when authentication is on:
                                         its node's credential, made by 'gantry node credential NODE'
                                         (user node-NODE: it may write this node's keys, not another's)
              --password-file FILE       a file holding that user's password (or env GANTRY_AGENT_PASSWORD);
                                         never on the command line

            Durations: 500ms, 10s, 2m. Stop the agent with SIGTERM or Ctrl-C: it stops its tasks and gives its
            lease back, so the scheduler requeues them at once. To take a node out of service without stopping
            running jobs, drain it: 'gantry node drain NODE' (no new tasks; running ones finish).
            """;

    private static final Set<String> FLAGS = Set.of("endpoints", "node-id", "lease-ttl", "work-dir", "simulate-gpus", "labels",
            "listen-logs", "advertise-logs-url", "stop-grace", "progress-interval", "telemetry-interval", "cacert", "cert", "key",
            "user", "password-file");
    /** The password of --user, for hosts that hand secrets over in the environment rather than in files. */
    static final String PASSWORD_VARIABLE = "GANTRY_AGENT_PASSWORD";
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)");

    private AgentCommand() {
    }

    /** Runs the agent until it is stopped; returns the exit status. */
    public static int run(PrintStream out, PrintStream err, Map<String, String> env, String... args) {
        AgentConfig config;
        try {
            Map<String, String> flags = parse(args);
            if (flags.containsKey("help")) {
                out.print(USAGE);
                return 0;
            }
            config = config(flags, env);
        } catch (IllegalArgumentException e) {
            err.println("gantry agent: " + e.getMessage());
            err.println("Run 'gantry agent --help' for the flags.");
            return 2;
        }
        AgentLog.toStderr(err);
        Agent agent;
        try {
            agent = Agent.start(config);
        } catch (RuntimeException e) {
            err.println("gantry agent: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "agent-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    static Map<String, String> parse(String... args) {
        Map<String, String> flags = new LinkedHashMap<>();
        int i = args.length > 0 && args[0].equals("agent") ? 1 : 0;
        for (; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-h") || arg.equals("--help")) {
                flags.put("help", "true");
                continue;
            }
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "' (flags look like --name value)");
            }
            String body = arg.substring(2);
            int eq = body.indexOf('=');
            String name = eq >= 0 ? body.substring(0, eq) : body;
            if (!FLAGS.contains(name)) {
                throw new IllegalArgumentException("unknown flag --" + name);
            }
            if (eq >= 0) {
                flags.put(name, body.substring(eq + 1));
            } else if (i + 1 < args.length) {
                flags.put(name, args[++i]);
            } else {
                throw new IllegalArgumentException("flag --" + name + " needs a value");
            }
        }
        return flags;
    }

    static AgentConfig config(Map<String, String> flags, Map<String, String> env) {
        String endpoints = flags.getOrDefault("endpoints", env.getOrDefault("GANTRY_ENDPOINTS", "http://localhost:2379"));
        List<String> urls = List.of(endpoints.split(","));
        for (String url : urls) {
            URI uri;
            try {
                uri = URI.create(url.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--endpoints: '" + url + "' is not a URL");
            }
            if (uri.getHost() == null || uri.getPort() < 0 || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new IllegalArgumentException("--endpoints: '" + url + "' is not http(s)://host:port");
            }
        }
        String nodeId = flags.getOrDefault("node-id", defaultNodeId());
        if (!NODE_ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("--node-id: '" + nodeId + "' must be 1-63 letters, digits, '.', '_' or '-'");
        }
        long ttl = number(flags, "lease-ttl", 10);
        if (ttl < 3 || ttl > 300) {
            throw new IllegalArgumentException("--lease-ttl: between 3 and 300 seconds, not " + ttl);
        }
        String simulate = flags.get("simulate-gpus");
        if (simulate != null) {
            SimulatedGpus.parse(simulate, nodeId); // refuses a bad spec now, not after connecting
        }
        return new AgentConfig(urls.stream().map(String::strip).toList(), nodeId, ttl,
                Path.of(flags.getOrDefault("work-dir", "gantry-agent")).toAbsolutePath(), simulate,
                labels(flags.get("labels")), listen(flags.getOrDefault("listen-logs", "0.0.0.0:2390")),
                flags.get("advertise-logs-url"),
                duration(flags, "stop-grace", "10s"), duration(flags, "progress-interval", "3s"),
                duration(flags, "telemetry-interval", "10s"), tls(flags), user(flags, env));
    }

    /** {@code --user} with {@code --password-file} (or $GANTRY_AGENT_PASSWORD); null: none (auth off, or a client certificate names the user). */
    private static EtcdUser user(Map<String, String> flags, Map<String, String> env) {
        String name = flags.get("user");
        String file = flags.get("password-file");
        if (name == null) {
            if (file != null) {
                throw new IllegalArgumentException("--password-file needs --user NAME: the user whose password it holds");
            }
            return null;
        }
        if (file != null) {
            return EtcdUser.of("--user", name, "--password-file", Path.of(file));
        }
        String password = env.get(PASSWORD_VARIABLE);
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("--user " + name + " needs its password: --password-file FILE, or the environment "
                    + "variable " + PASSWORD_VARIABLE);
        }
        return new EtcdUser(EtcdUser.name("--user", name, "--password-file"), password);
    }

    private static TlsOptions tls(Map<String, String> flags) {
        TlsOptions tls = new TlsOptions(path(flags.get("cacert")), path(flags.get("cert")), path(flags.get("key")));
        tls.check(); // a missing or mismatched file is reported now, naming the flag
        return tls;
    }

    private static Path path(String value) {
        return value == null ? null : Path.of(value);
    }

    private static long number(Map<String, String> flags, String flag, long otherwise) {
        String value = flags.get(flag);
        if (value == null) {
            return otherwise;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + flag + ": '" + value + "' is not a whole number");
        }
    }

    static Duration duration(Map<String, String> flags, String flag, String otherwise) {
        String value = flags.getOrDefault(flag, otherwise).toLowerCase(Locale.ROOT);
        var m = DURATION.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("--" + flag + ": '" + value + "' is not a duration such as 500ms, 10s or 2m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }

    private static Map<String, String> labels(String value) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (value == null || value.isBlank()) {
            return labels;
        }
        for (String pair : value.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--labels: '" + pair + "' is not KEY=VALUE");
            }
            labels.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
        }
        return labels;
    }

    private static InetSocketAddress listen(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--listen-logs: '" + value + "' is not HOST:PORT");
        }
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(value.substring(0, colon).replace("[", "").replace("]", ""), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen-logs: '" + value.substring(colon + 1) + "' is not a port");
        }
    }

    /** The host's short name: the node id unless --node-id says otherwise. */
    public static String defaultNodeId() {
        return hostname().split("\\.")[0];
    }

    static String hostname() {
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
