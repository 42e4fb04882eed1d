package dev.gantry.server;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.snapshot.SnapshotRestore;

/**
 * {@code gantry snapshot restore FILE [flags]}: etcd's {@code etcdctl snapshot restore}, with its flags, for the
 * files {@code etcdctl snapshot save} saves from Gantry. It runs and exits without starting the server.
 */
final class SnapshotCommand {
    static final String USAGE = """
            Usage: gantry snapshot restore FILE [flags]

            Makes the data directory of one member of a NEW cluster from a snapshot saved with
            'etcdctl --endpoints=URL snapshot save FILE'. Restore every member of the new cluster from the
            same file, each with its own --name and --data-dir and the same --initial-cluster and
            --initial-cluster-token; then start each with 'gantry server' and the same flags. The key space
            with its revisions and history, the compaction revision and the leases are kept; the new cluster
            gets new cluster and member IDs.

            Flags (etcdctl snapshot restore's names; defaults as gantry server's):
              --data-dir DIR                       the member's data directory: must not exist, or be empty
                                                   (default "gantry-data")
              --name NAME                          the member's name (default "default")
              --initial-cluster NAME=URL,...       all members of the new cluster (default NAME=<advertise peer URL>)
              --initial-cluster-token TOKEN        the new cluster's token (default "etcd-cluster")
              --initial-advertise-peer-urls URLS   this member's peer URLs (default http://localhost:2380)
              --skip-hash-check                    accept a dump without the SHA-256 that 'snapshot save' appends
                                                   (e.g. a Raft snapshot copied from a data directory)

            A file that is not a Gantry KV snapshot, or whose SHA-256 does not match, is refused, and
            nothing is written.
            """;

    private static final Set<String> VALUE_FLAGS = Set.of(
            "data-dir", "name", "initial-cluster", "initial-cluster-token", "initial-advertise-peer-urls");
    private static final String SKIP_HASH_CHECK = "skip-hash-check";

    private SnapshotCommand() {
    }

    /** Runs {@code snapshot <args>} and returns the exit status: 0 done, 1 refused or failed, 2 bad usage. */
    static int run(PrintStream out, PrintStream err, String... args) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            out.print(USAGE);
            return 0;
        }
        if (!args[0].equals("restore")) {
            return usageError(err, "unknown snapshot command '" + args[0]
                    + "' (this version restores; save with etcdctl snapshot save)");
        }
        Path file = null;
        Map<String, String> flags = new LinkedHashMap<>();
        boolean skipHashCheck = false;
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-h") || arg.equals("--help")) {
                out.print(USAGE);
                return 0;
            }
            if (!arg.startsWith("--")) {
                if (file != null) {
                    return usageError(err, "one snapshot file, please: got '" + file + "' and '" + arg + "'");
                }
                file = Path.of(arg);
                continue;
            }
            String body = arg.substring(2);
            int eq = body.indexOf('=');
            String name = eq >= 0 ? body.substring(0, eq) : body;
            if (name.equals(SKIP_HASH_CHECK)) {
                String value = eq >= 0 ? body.substring(eq + 1) : "true";
                if (!value.equals("true") && !value.equals("false")) {
                    return usageError(err, "--skip-hash-check is true or false, not '" + value + "'");
                }
                skipHashCheck = value.equals("true");
            } else if (!VALUE_FLAGS.contains(name)) {
                return usageError(err, "unknown flag --" + name);
            } else if (eq >= 0) {
                flags.put(name, body.substring(eq + 1));
            } else if (i + 1 < args.length) {
                flags.put(name, args[++i]);
            } else {
                return usageError(err, "flag --" + name + " needs a value");
            }
        }
        if (file == null) {
            return usageError(err, "which snapshot file? (gantry snapshot restore FILE [flags])");
        }
        MemberConfig config;
        try {
            config = MemberConfig.parse(flags);
        } catch (IllegalArgumentException e) {
            return usageError(err, e.getMessage());
        }
        try {
            SnapshotRestore.Restored restored = SnapshotRestore.restore(file, config, skipHashCheck);
            out.printf("Restored %s (revision %d) into %s: member %s (%x) of a new cluster (%x).%n", file, restored.revision(),
                    config.dataDir(), config.name(), restored.identity().memberId(), restored.identity().clusterId());
            out.printf("Start it with: gantry server --name %s --data-dir %s and its client and peer URL flags%n",
                    config.name(), config.dataDir());
            return 0;
        } catch (IllegalArgumentException | IOException e) {
            err.println("gantry snapshot restore: " + e.getMessage());
            return 1;
        }
    }

    private static int usageError(PrintStream err, String message) {
        err.println("gantry snapshot restore: " + message);
        err.println("Run 'gantry snapshot restore --help' for the flags.");
        return 2;
    }
}
