package dev.gantry.cli;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import dev.gantry.job.Json;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.KvException;
import dev.gantry.kv.client.Watch;
import dev.gantry.kv.client.WatchEvent;
import dev.gantry.kv.client.WatchListener;

/** {@code gantry kv get|put|del|watch}: the etcd v3 API, as etcdctl's basics, through Gantry's own client. */
final class KvCommands extends Cli.Group {
    private static final String USAGE = """
            Usage: gantry kv <command>

              get KEY [--prefix]     read
              put KEY VALUE          write
              del KEY [--prefix]     delete
              watch KEY [--prefix]   follow changes

            Global flags: --endpoints URLS (default http://localhost:2379, env GANTRY_ENDPOINTS), -o json|table,
            --cacert FILE, --cert FILE --key FILE for https:// endpoints (as etcdctl's), --user NAME
            --password-file FILE once etcd authentication is on.
            """;
    private static final Map<String, String> USAGES = Map.of(
            "get", """
                    Usage: gantry kv get KEY [--prefix]

                    Prints each key and its value on two lines (as etcdctl get); -o json prints key, value and
                    revisions.
                    """,
            "put", """
                    Usage: gantry kv put KEY VALUE

                    Writes VALUE under KEY and prints the revision.
                    """,
            "del", """
                    Usage: gantry kv del KEY [--prefix]

                    Deletes KEY (or every key under the prefix) and prints how many were deleted.
                    """,
            "watch", """
                    Usage: gantry kv watch KEY [--prefix]

                    Prints every later change to KEY (or under the prefix) until interrupted: PUT or DELETE,
                    the key, and a put's value.
                    """);

    KvCommands(Cli.Context context) {
        super(context, USAGE, USAGES);
    }

    @Override
    void run(String command, List<String> rest) {
        Args args = context.parse(rest, Set.of("user", "password-file"), Set.of("prefix"));
        Output output = context.output(args);
        boolean prefix = args.has("prefix");
        List<String> positionals = args.positionals();
        int expected = command.equals("put") ? 2 : 1;
        if (positionals.size() != expected) {
            throw new UsageError(command.equals("put") ? "expected KEY VALUE" : "expected KEY");
        }
        String key = positionals.getFirst();
        if (command.equals("put") && prefix) {
            throw new UsageError("put takes no --prefix");
        }
        try (KvClient kv = context.etcd(args)) {
            switch (command) {
                case "get" -> get(kv, output, key, prefix);
                case "put" -> output.out.println("OK (revision " + kv.put(key, positionals.get(1)) + ")");
                case "del" -> output.out.println(prefix ? kv.deletePrefix(key) : kv.delete(key));
                case "watch" -> watch(kv, output, key, prefix);
                default -> throw new IllegalStateException(command);
            }
        } catch (KvException e) {
            throw new CommandFailed("etcd request to " + context.endpoints(args) + " failed: " + e.getMessage());
        }
    }

    private static void get(KvClient kv, Output output, String key, boolean prefix) {
        List<Kv> kvs = prefix ? kv.list(key).kvs() : kv.get(key).map(List::of).orElse(List.of());
        output.print(kvs, () -> kvs.forEach(entry -> {
            output.out.println(entry.key());
            output.out.println(entry.value());
        }));
    }

    /** Follows changes from the current revision on; ends when the process is interrupted or the history is compacted. */
    private void watch(KvClient kv, Output output, String key, boolean prefix) {
        long revision = kv.list(key, null, 1).revision();
        CountDownLatch ended = new CountDownLatch(1);
        WatchListener listener = new WatchListener() {
            @Override
            public void onEvents(List<WatchEvent> events) {
                for (WatchEvent event : events) {
                    if (!prefix && !event.key().equals(key)) {
                        continue;
                    }
                    if (output.json) {
                        output.out.println(Json.write(event));
                    } else {
                        output.out.println(event.type());
                        output.out.println(event.key());
                        if (event.type() == WatchEvent.Type.PUT) {
                            output.out.println(event.kv().value());
                        }
                    }
                    output.out.flush();
                }
            }

            @Override
            public void onCompacted(long compactRevision) {
                context.err.println("the watch fell behind a compaction at revision " + compactRevision + "; start it again");
                ended.countDown();
            }
        };
        try (Watch watch = kv.watch(key, revision + 1, listener)) {
            ended.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
