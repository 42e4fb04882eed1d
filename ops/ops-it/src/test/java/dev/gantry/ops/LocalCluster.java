package dev.gantry.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster run by ops/local-cluster.sh in a directory of its own: the script's commands, and what its
 * cluster.env says (client and HTTP URLs). Remembers the members' pids so that a test can make sure none is left.
 */
final class LocalCluster {
    static final String SCRIPT = "ops/local-cluster.sh";
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);
    private static final Pattern LINE = Pattern.compile("^([A-Z_]+)=\"(.*)\"$");

    final Path dir;
    private final List<Long> pids = new ArrayList<>();

    LocalCluster(Path dir) {
        this.dir = dir;
    }

    Command.Result start(String... flags) {
        List<String> command = new ArrayList<>(List.of(Checkout.path(SCRIPT).toString(), "start", "--dir", dir.toString()));
        command.addAll(List.of(flags));
        Command.Result result = Command.run(START_TIMEOUT, Map.of(), command);
        rememberPids();
        return result;
    }

    Command.Result status() {
        return Command.run(Duration.ofSeconds(60), Map.of(), Checkout.path(SCRIPT).toString(), "status", "--dir", dir.toString());
    }

    /** Stops the members with the script, then kills any the script left, so that nothing outlives the test. */
    void stop() {
        rememberPids();
        try {
            if (Files.exists(dir.resolve("cluster.env"))) {
                Command.run(Duration.ofSeconds(90), Map.of(), Checkout.path(SCRIPT).toString(), "stop", "--dir", dir.toString());
            }
        } finally {
            for (long pid : runningPids()) {
                ProcessHandle.of(pid).ifPresent(p -> {
                    p.destroyForcibly();
                    p.onExit().join();
                });
            }
        }
    }

    /** The pids of running members: none after {@link #stop()}. */
    List<Long> runningPids() {
        return pids.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).toList();
    }

    private void rememberPids() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var members = Files.list(dir)) {
            for (Path member : members.filter(Files::isDirectory).toList()) {
                Path pidFile = member.resolve("server.pid");
                if (Files.exists(pidFile)) {
                    long pid = Long.parseLong(Files.readString(pidFile).strip());
                    if (!pids.contains(pid)) {
                        pids.add(pid);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** cluster.env's NAME="value" lines. */
    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        try {
            for (String line : Files.readAllLines(dir.resolve("cluster.env"))) {
                Matcher m = LINE.matcher(line);
                if (m.matches()) {
                    env.put(m.group(1), m.group(2));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return env;
    }

    List<String> clientUrls() {
        return List.of(env().get("CLIENT_URLS").split(" "));
    }

    List<String> httpUrls() {
        return List.of(env().get("HTTP_URLS").split(" "));
    }

    String endpoints() {
        return env().get("ENDPOINTS");
    }
}
