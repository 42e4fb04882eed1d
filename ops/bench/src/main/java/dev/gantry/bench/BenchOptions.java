package dev.gantry.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The command line of {@link KvBench}: {@code <put|range|fill|watch|keepalive> [--flag value]...
 * [--serializable] [--json]}.
 */
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
        boolean json,
        // watch and keepalive
        int streams,
        int watchers,
        double rate,
        String writerEndpoint,
        int leases,
        long ttlSeconds,
        int window) {

    static final List<String> WORKLOADS = List.of("put", "range", "fill", "watch", "keepalive");

    static final String USAGE = """
            usage: java -jar bench.jar <put|range|fill|watch|keepalive> [options]
              put                 put random keys of the key space (closed loop)
              range               get one random key; linearizable unless --serializable
              fill                put every key of the key space once, in order (use with --total <key-space>)
              watch               watch fan-out: --watchers watchers on one prefix, spread over --streams watch
                                  streams on --conns connections; one writer puts new keys under the prefix at
                                  --rate puts/s. Reports events delivered/s over all watchers and the delivery
                                  latency (put sent -> event received), and checks that every watcher got every
                                  event exactly once (missed, duplicates)
              keepalive           grant --leases leases, then send LeaseKeepAlive requests on --streams streams,
                                  each with --window requests outstanding (closed loop); the leases are revoked
                                  at the end
            options:
              --endpoints a,b,c   host:port or http://host:port, connections round-robin over them (127.0.0.1:2379)
              --clients N         concurrent closed-loop clients (1)
              --conns N           gRPC connections the clients/streams share (put, range, fill, keepalive: one per 10
                                  clients/streams; watch: one per stream)
              --duration T        measure for a time: 500ms, 10s, 2m (10s unless --total is given)
              --total N           measure until N answers arrived (watch: until N puts were sent)
              --warmup T|N        time or answers discarded before measuring (3s; watch: a count is of puts)
              --key-space N       number of distinct keys (100000)
              --value-size N      bytes per value (256; watch: at least 16, the value carries the put's send time)
              --timeout T         deadline of one request (10s)
              --serializable      range: serve from the member's local state, no quorum read
              --json              print the result as one JSON object
            watch:
              --watchers N        watchers, all on the same prefix (1000)
              --streams N         watch streams; watcher i is on stream i mod N, stream j on connection j mod conns (10)
              --rate R            puts per second of the writer, open loop (100)
              --writer-endpoint E the member the writer puts to (the first of --endpoints)
            keepalive:
              --leases N          leases granted before the run, 64 grants at a time (10000)
              --ttl T             TTL of the leases, whole seconds (300s)
              --streams N         LeaseKeepAlive streams; stream j keeps leases j, j+N, j+2N... alive (100)
              --window N          keep-alive requests outstanding per stream (1: send, wait for the answer, send)
            """;

    static BenchOptions parse(String... args) {
        if (args.length == 0 || args[0].startsWith("--")) {
            throw new IllegalArgumentException("name the workload first: " + String.join(", ", WORKLOADS));
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
        Integer streams = null;
        int watchers = 1000;
        double rate = 100;
        String writerEndpoint = null;
        int leases = 10_000;
        long ttlSeconds = 300;
        int window = 1;
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
                        case "--streams" -> streams = positive(flag, value);
                        case "--watchers" -> watchers = positive(flag, value);
                        case "--rate" -> rate = positiveRate(flag, value);
                        case "--writer-endpoint" -> writerEndpoint = value.strip();
                        case "--leases" -> leases = positive(flag, value);
                        case "--ttl" -> ttlSeconds = Math.max(1, timeOnly(flag, value).time().toSeconds());
                        case "--window" -> window = positive(flag, value);
                        default -> throw new IllegalArgumentException("unknown option " + flag);
                    }
                }
            }
        }
        if (!WORKLOADS.contains(workload)) {
            throw new IllegalArgumentException("unknown workload '" + workload + "': expected " + String.join(", ", WORKLOADS));
        }
        int streamCount = streams != null ? streams : workload.equals("watch") ? 10 : 100;
        int connCount = conns != null ? conns
                : switch (workload) {
                    case "watch" -> streamCount;
                    case "keepalive" -> (streamCount + 9) / 10;
                    default -> (clients + 9) / 10;
                };
        if (workload.equals("watch") && valueSize < WatchFanOut.HEADER_BYTES) {
            throw new IllegalArgumentException("watch: --value-size must be at least " + WatchFanOut.HEADER_BYTES
                    + ": the value carries the put's sequence number and send time");
        }
        if (workload.equals("keepalive") && leases < (long) streamCount * window) {
            throw new IllegalArgumentException("keepalive: --leases (" + leases + ") must be at least --streams x --window ("
                    + streamCount + " x " + window + "), so that no lease has two keep-alives in flight");
        }
        return new BenchOptions(workload, endpoints, clients, connCount,
                warmup, measure != null ? measure : Limit.parse("10s"),
                keySpace, valueSize, serializable, timeout, json,
                streamCount, watchers, rate, writerEndpoint != null ? writerEndpoint : endpoints.get(0),
                leases, ttlSeconds, window);
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

    private static double positiveRate(String flag, String value) {
        try {
            double rate = Double.parseDouble(value);
            if (rate > 0 && rate <= 1_000_000) {
                return rate;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " expects a rate per second between 0 and 1000000, got '" + value + "'");
    }

    private static Limit timeOnly(String flag, String value) {
        Limit limit = Limit.parse(value);
        if (!limit.isTime()) {
            throw new IllegalArgumentException(flag + " expects a time such as 10s or 500ms, got '" + value + "'");
        }
        return limit;
    }
}
