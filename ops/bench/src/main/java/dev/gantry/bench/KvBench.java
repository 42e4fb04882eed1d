package dev.gantry.bench;

import com.google.protobuf.ByteString;
import java.util.SplittableRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A closed-loop load generator for the etcd v3 KV API, run the same way against Gantry and etcd.
 * See {@code docs/benchmarks.md} and {@link BenchOptions#USAGE}. Progress goes to stderr, the result
 * line to stdout. Exit status: 0 when some requests succeeded, 1 when none did, 2 on a bad command line.
 */
public final class KvBench {

    /** Held so that the level sticks: grpc-java logs start-up details at INFO through java.util.logging. */
    private static final Logger GRPC_LOG = Logger.getLogger("io.grpc");

    private KvBench() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.print(BenchOptions.USAGE);
            System.exit(args.length == 0 ? 2 : 0);
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("kvbench: " + e.getMessage());
            System.err.print(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        GRPC_LOG.setLevel(Level.WARNING);
        Workload workload = Workload.of(options, new KeySpace(options.keySpace()), randomValue(options.valueSize()));
        RunReport report;
        try (Connections connections = Connections.open(options.endpoints(), options.conns())) {
            report = new LoadRun(options, workload, connections).run();
        }
        System.out.println(options.json() ? report.toJson() : report.toText());
        System.exit(report.requests() > 0 ? 0 : 1);
    }

    /** One value for all writes, like etcd's benchmark; random so that no layer can compress it away. */
    private static ByteString randomValue(int size) {
        byte[] bytes = new byte[size];
        new SplittableRandom(7).nextBytes(bytes);
        return ByteString.copyFrom(bytes);
    }
}
