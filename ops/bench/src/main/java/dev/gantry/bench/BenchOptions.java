package dev.gantry.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** The command line of {@link KvBench}: {@code <put|range|fill> [--flag value]... [--serializable] [--json]}. */
record BenchOptions(
        String workload,
        List<String> endpoints,
        int clients,
        int conns,
        Limit warmup,
        Limit measure,
        int keySpace,
        int valueSize,
        boolean serializable,
        Duration timeout,
        boolean json) {

    static final String USAGE = """
            usage: java -jar bench.jar <put|range|fill> [options]
              put                 put random keys of the key space (closed loop)
              range               get one random key; linearizable unless --serializable
              fill                put every key of the key space once, in order (use with --total <key-space>)
            options:
              --endpoints a,b,c   host:port or http://host:port, connections round-robin over them (127.0.0.1:2379)
              --clients N         concurrent closed-loop clients (1)
              --conns N           gRPC connections the clients share (one per 10 clients)
              --duration T        measure for a time: 500ms, 10s, 2m (10s unless --total is given)
              --total N           measure until N answers arrived
              --warmup T|N        time or answers discarded before measuring (3s)
              --key-space N       number of distinct keys (100000)
              --value-size N      bytes per value (256)
              --timeout T         deadline of one request (10s)
              --serializable      range: serve from the member's local state, no quorum read
              --json              print the result as one JSON object
            """;

    static BenchOptions parse(String... args) {
        if (args.length == 0 || args[0].startsWith("--")) {
            throw new IllegalArgumentException("name the workload first: put, range or fill");
        }
        String workload = args[0];
        List<String> endpoints = List.of("127.0.0.1:2379");
        int clients = 1;
        Integer conns = null;
        Limit warmup = Limit.parse("3s");
        Limit measure = null;
        int keySpace = 100_000;
        int valueSize = 256;
        boolean serializable = false;
        Duration timeout = Duration.ofSeconds(10);
        boolean json = false;
        for (int i = 1; i < args.length; i++) {
            String flag = args[i];
            switch (flag) {
                case "--serializable" -> serializable = true;
                case "--json" -> json = true;
                default -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("missing value after " + flag);
                    }
                    String value = args[++i];
                    switch (flag) {
                        case "--endpoints" -> endpoints = Arrays.stream(value.split(",")).map(String::strip).toList();
                        case "--clients" -> clients = positive(flag, value);
                        case "--conns" -> conns = positive(flag, value);
                        case "--duration" -> measure = timeOnly(flag, value);
                        case "--total" -> measure = Limit.answers(positive(flag, value));
                        case "--warmup" -> warmup = Limit.parse(value);
                        case "--key-space" -> keySpace = positive(flag, value);
                        case "--value-size" -> valueSize = positive(flag, value);
                        case "--timeout" -> timeout = timeOnly(flag, value).time();
                        default -> throw new IllegalArgumentException("unknown option " + flag);
                    }
                }
            }
        }
        if (!List.of("put", "range", "fill").contains(workload)) {
            throw new IllegalArgumentException("unknown workload '" + workload + "': expected put, range or fill");
        }
        return new BenchOptions(workload, endpoints, clients, conns != null ? conns : (clients + 9) / 10,
                warmup, measure != null ? measure : Limit.parse("10s"),
                keySpace, valueSize, serializable, timeout, json);
    }

    private static int positive(String flag, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " expects a positive integer, got '" + value + "'");
    }

    private static Limit timeOnly(String flag, String value) {
        Limit limit = Limit.parse(value);
        if (!limit.isTime()) {
            throw new IllegalArgumentException(flag + " expects a time such as 10s or 500ms, got '" + value + "'");
        }
        return limit;
    }
}
