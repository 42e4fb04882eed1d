package dev.gantry.server;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.gantry.agent.AgentCommand;
import dev.gantry.cli.Cli;
import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.cluster.Urls;
import dev.gantry.kv.tls.TransportSecurity;
import dev.gantry.server.jobs.JobUser;
import dev.gantry.server.tls.TlsSettings;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * {@code gantry server [flags]}: parses etcd's server flags, checks them before anything starts, and hands
 * them to the application as {@code gantry.<flag>} configuration. {@code gantry snapshot ...} is
 * {@link SnapshotCommand}, {@code gantry agent} the worker agent ({@link AgentCommand}), and
 * {@code gantry job|node|config|secret|kv ...} is the command line client {@link Cli}: they run without starting the
 * application.
 *
 * <p>The client URL serves the etcd gRPC API on Quarkus's grpc-java based gRPC server. HTTP (health, and
 * later the REST API and console) has its own listener, {@code --listen-http-urls}: Vert.x's HTTP/2 server
 * resets streams whose {@code :authority} is not a plain host:port, and etcdctl sends
 * {@code http://host:port} as the authority when an endpoint is written with its scheme.
 */
@QuarkusMain
public final class GantryMain {
    static final String USAGE = """
            Usage: gantry server [flags]

            Runs one Gantry server: a Gantry KV member (etcd v3 API on the client URL) and, as the
            project grows, the scheduler, REST API and console. With no flags it is a single-member
            cluster with its data in ./gantry-data, serving http://localhost:2379.

            Flags (etcd's names and defaults):
              --name NAME                          member name (default "default")
              --data-dir DIR                       data directory (default "gantry-data")
              --listen-client-urls URLS            where etcd clients connect (default http://localhost:2379)
              --listen-http-urls URL               Gantry's HTTP API and health (default: the client port + 2,
                                                   e.g. http://localhost:2381); not an etcd flag
              --advertise-client-urls URLS         client URLs told to other members (default: listen URLs)
              --listen-peer-urls URLS              where peers connect for Raft (default http://localhost:2380)
              --initial-advertise-peer-urls URLS   this member's peer URLs (default http://localhost:2380)
              --initial-cluster NAME=URL,...       all initial members (default NAME=<advertise peer URL>)
              --initial-cluster-state new|existing (default new; existing: join a running cluster after
                                                   'etcdctl member add', asking the members of --initial-cluster)
              --initial-cluster-token TOKEN        distinguishes clusters (default "etcd-cluster")
              --heartbeat-interval MS              (default 100)
              --election-timeout MS                (default 1000)
              --max-request-bytes N                largest client request (default 1572864)
              --max-txn-ops N                      most operations in one txn (default 128)
              --snapshot-count N                   applied Raft entries between snapshots (default 100000, as etcd 3.4)
              --experimental-watch-progress-notify-interval DURATION
                                                   how often idle watchers that asked for progress
                                                   notifications get one (default 10m, at least 100ms)
              --auto-compaction-mode periodic|revision
                                                   (default periodic)
              --auto-compaction-retention VALUE    periodic: keep this much history (hours, or a duration
                                                   such as 30m); revision: keep this many revisions;
                                                   0 (default) turns automatic compaction off
              --quota-backend-bytes N              the most bytes a member's store may take (default 0:
                                                   2 GiB; at most 8 GiB suggested). Past it the cluster
                                                   raises a NOSPACE alarm and refuses puts, txns with puts
                                                   and lease grants until an operator compacts, defrags
                                                   every member and runs 'etcdctl alarm disarm'

            Gantry's own flags:
              --scheduler on|off                   run the job scheduler in this server (default on); every
                                                   server runs one, the one elected through
                                                   /election/scheduler places tasks (docs/scheduler.md)
              --agent on|off                       run a worker agent for this host inside the server, so that
                                                   it runs jobs itself (default: on for a single-member cluster,
                                                   the embedded default; off otherwise: GPU hosts run
                                                   'gantry agent'). Its work dir is DATA-DIR/agent
              --api-auth on|off                    require a bearer token with a role on every REST API
                                                   request and console session (default off: anyone who
                                                   reaches the HTTP port may submit and cancel jobs). Tokens:
                                                   'gantry token create --name N --role R' (docs/operations.md)
              --scheduler-election on|off          for tests only: off schedules without being elected, so
                                                   that only the claim txn's compares protect (default on)
              --job-user NAME --job-password-file FILE
                                                   the etcd user the scheduler, REST API and embedded agent
                                                   connect as once authentication is enabled ('etcdctl auth
                                                   enable'): root, or a user whose role may read and write
                                                   /tasks/ /assignments/ /nodes/ /config/ /election/
                                                   /secrets/ and read /tokens/. The password is read from the
                                                   file (docs/operations.md, "Authentication")

            TLS (etcd's flags; PEM files; docs/operations.md, "TLS"). With a certificate the client
            and HTTP URLs must be https://; so must the peer URLs with a peer certificate:
              --cert-file FILE --key-file FILE     this member's certificate and (unencrypted) key for clients
              --trusted-ca-file FILE               the CA of client certificates: clients must present one
                                                   signed by it (as in etcd, this alone requires them)
              --client-cert-auth                   require client certificates (needs --trusted-ca-file)
              --auto-tls                           no certificate given: make a self-signed one under the
                                                   data dir (clients skip verification: etcdctl 3.4
                                                   --insecure-transport=false --insecure-skip-tls-verify)
              --peer-cert-file FILE --peer-key-file FILE --peer-trusted-ca-file FILE
              --peer-client-cert-auth --peer-auto-tls
                                                   the same between members (Raft and everything else on the
                                                   peer port). Plain http stays the default; on an address
                                                   other machines can reach, the log warns that it is unencrypted

            The initial-cluster flags only matter the first time a data directory is used: a member
            restarted on its data directory rejoins its cluster. URLs may be IPv6: http://[::1]:2379.
            Back up with 'etcdctl snapshot save'; 'gantry snapshot restore --help' tells how to restore.
            """;

    private GantryMain() {
    }

    public static void main(String... args) {
        if (args.length > 0 && args[0].equals("snapshot")) {
            System.exit(SnapshotCommand.run(System.out, System.err, Arrays.copyOfRange(args, 1, args.length)));
        }
        if (args.length > 0 && args[0].equals("agent")) {
            System.exit(AgentCommand.run(System.out, System.err, System.getenv(), args));
        }
        if (args.length > 0 && Cli.GROUPS.contains(args[0])) {
            System.exit(Cli.run(System.out, System.err, System.getenv(), args));
        }
        Map<String, String> flags;
        MemberConfig config;
        try {
            flags = parseFlags(args);
            if (flags.containsKey("help")) {
                System.out.print(USAGE);
                return;
            }
            config = MemberConfig.parse(flags);
            for (String onOff : new String[] {"scheduler", "scheduler-election", "agent", "api-auth"}) {
                String value = flags.get(onOff);
                if (value != null && !value.equals("on") && !value.equals("off")) {
                    throw new IllegalArgumentException("--" + onOff + " must be 'on' or 'off', not '" + value + "'");
                }
            }
            JobUser.parse(flags); // a missing or empty password file is said now, not when the scheduler first calls
        } catch (IllegalArgumentException e) {
            fail(System.err, e.getMessage());
            return;
        }
        if (config.listenClientUrls().size() > 1) {
            fail(System.err, "--listen-client-urls: this version listens on one client URL, got " + config.listenClientUrls());
            return;
        }
        URI client = config.listenClientUrls().get(0);
        URI http;
        try {
            http = httpUrl(flags, client);
        } catch (IllegalArgumentException e) {
            fail(System.err, e.getMessage());
            return;
        }
        try {
            checkFree("listen-client-urls", client);
            checkFree("listen-peer-urls", config.listenPeerUrls().get(0));
            checkFree("listen-http-urls", http);
            TlsSettings.apply(config, http);
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            fail(System.err, e.getMessage());
            return;
        }
        System.setProperty("quarkus.grpc.server.host", Urls.host(client));
        System.setProperty("quarkus.grpc.server.port", String.valueOf(client.getPort()));
        System.setProperty("quarkus.http.host", Urls.host(http));
        System.setProperty("quarkus.http.port", String.valueOf(http.getPort()));
        // etcd lets gRPC frames reach max-request-bytes + 512 KiB, and answers "request is too large" itself.
        System.setProperty("quarkus.grpc.server.max-inbound-message-size", String.valueOf(config.maxRequestBytes() + 512 * 1024));
        flags.forEach((flag, value) -> System.setProperty("gantry." + flag, value));
        Quarkus.run(args);
    }

    /**
     * Probes that this process can listen on {@code url}. Ratis reacts to a taken peer port by calling
     * System.exit from a Vert.x thread in the middle of Quarkus's start, which hangs the JVM; checking first
     * turns that into a clear message.
     */
    static void checkFree(String flag, URI url) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(Urls.socketAddress(url));
        } catch (IOException e) {
            throw new IllegalArgumentException("--" + flag + ": cannot listen on " + Urls.hostPort(url) + " (" + e.getMessage()
                    + "); is another server running there?");
        }
    }

    /** {@code --listen-http-urls}, or by default the client URL's host with the client port + 2 (2379 → 2381). */
    static URI httpUrl(Map<String, String> flags, URI client) {
        String given = flags.get("listen-http-urls");
        if (given != null) {
            return Urls.parse("listen-http-urls", given);
        }
        return URI.create(client.getScheme() + "://" + client.getHost() + ":" + (client.getPort() + 2));
    }

    /** {@code [server] --flag value | --flag=value ...}; the leading subcommand, if any, is the launcher's. */
    static Map<String, String> parseFlags(String... args) {
        Map<String, String> flags = new LinkedHashMap<>();
        int i = args.length > 0 && args[0].equals("server") ? 1 : 0;
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
            if (eq >= 0) {
                flags.put(body.substring(0, eq), body.substring(eq + 1));
            } else if (TransportSecurity.BOOLEAN_FLAGS.contains(body)) {
                flags.put(body, "true"); // as Go's boolean flags: --client-cert-auth, or --client-cert-auth=false
            } else if (i + 1 < args.length) {
                flags.put(body, args[++i]);
            } else {
                throw new IllegalArgumentException("flag --" + body + " needs a value");
            }
            String name = eq >= 0 ? body.substring(0, eq) : body;
            if (!KNOWN_FLAGS.contains(name)) {
                throw new IllegalArgumentException("unknown flag --" + name + " (see gantry server --help)");
            }
        }
        return flags;
    }

    static final Set<String> KNOWN_FLAGS = Set.of(
            "name", "data-dir", "listen-client-urls", "listen-http-urls", "advertise-client-urls", "listen-peer-urls",
            "initial-advertise-peer-urls", "initial-cluster", "initial-cluster-state", "initial-cluster-token",
            "heartbeat-interval", "election-timeout", "max-request-bytes", "max-txn-ops", "snapshot-count",
            "experimental-watch-progress-notify-interval", "auto-compaction-mode", "auto-compaction-retention",
            "quota-backend-bytes", "scheduler", "scheduler-election", "agent", "api-auth", "job-user", "job-password-file",
            "cert-file", "key-file", "trusted-ca-file", "client-cert-auth", "auto-tls",
            "peer-cert-file", "peer-key-file", "peer-trusted-ca-file", "peer-client-cert-auth", "peer-auto-tls");

    private static void fail(PrintStream err, String message) {
        err.println("gantry server: " + message);
        err.println("Run 'gantry server --help' for the flags.");
        System.exit(2);
    }
}
