package dev.gantry.bench;

import com.google.protobuf.ByteString;
import dev.gantry.kv.api.etcd.KVGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A load generator for the etcd v3 API (KV, Watch, Lease), run the same way against Gantry and etcd.
 * See {@code docs/benchmarks.md} and {@link BenchOptions#USAGE}. Progress goes to stderr, the result
 * line to stdout. Exit status: 0 when some requests succeeded, 1 when none did, 2 on a bad command line,
 * 3 when a watch run found an event missed, duplicated, out of order or unexpected.
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
        RunReport report;
        try (Connections connections = Connections.open(options.endpoints(), options.conns())) {
            report = switch (options.workload()) {
                case "watch" -> new WatchFanOut(options, connections, randomValue(options.valueSize())).run();
                case "keepalive" -> new KeepAliveRun(options, connections).run();
                default -> kv(options, connections);
            };
        } catch (IllegalStateException e) {
            // A run that could not go on (no watcher created, no lease granted, requests stuck): no result.
            System.err.println("kvbench: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println(options.json() ? report.toJson() : report.toText());
        boolean deliveryFailed = List.of("missed", "duplicates", "out_of_order", "unexpected").stream()
                .anyMatch(check -> report.extra().get(check) instanceof Long count && count > 0);
        System.exit(report.requests() == 0 ? 1 : deliveryFailed ? 3 : 0);
    }

    /** put, range, fill: {@code --clients} closed-loop clients of the KV service. */
    private static RunReport kv(BenchOptions options, Connections connections) throws InterruptedException {
        Workload workload = Workload.of(options, new KeySpace(options.keySpace()), randomValue(options.valueSize()));
        LoadRun run = new LoadRun(options, workload.name(), options.clients(), options.clients());
        SplittableRandom seeds = new SplittableRandom(42);
        List<ClosedLoopClient> clients = new ArrayList<>(options.clients());
        for (int i = 0; i < options.clients(); i++) {
            KVGrpc.KVFutureStub kv = KVGrpc.newFutureStub(connections.forClient(i));
            clients.add(new ClosedLoopClient(kv, workload, seeds.split(), run, options.timeout().toNanos()));
        }
        return run.run(options.clients() + " clients", () -> clients.forEach(ClosedLoopClient::send));
    }

    /** One value for all writes, like etcd's benchmark; random so that no layer can compress it away. */
    private static ByteString randomValue(int size) {
        byte[] bytes = new byte[size];
        new SplittableRandom(7).nextBytes(bytes);
        return ByteString.copyFrom(bytes);
    }
}
