package dev.gantry.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The kit against real processes: ops/local-cluster.sh starts a 3-member cluster that etcdctl sees healthy;
 * backup.sh saves checked, pruned snapshots of it and restore.sh (through local-cluster.sh --from-snapshot) makes a
 * new cluster on other ports that holds the same keys and history; the alert rules and the dashboard read only
 * metrics the servers export; the Kubernetes probes' paths answer and the deployment files' flags are server flags.
 * Every member started is stopped, and checked gone, at the end.
 */
class LocalClusterIT {
    /** The health endpoints of a server's HTTP port: etcd's, and Quarkus's liveness and readiness. */
    static final List<String> HEALTH_PATHS = List.of("/health", "/q/health/live", "/q/health/ready");
    /** Series Prometheus makes itself, not the servers. */
    private static final Set<String> PROMETHEUS_OWN = Set.of("up");
    private static final Duration AWAIT = Duration.ofSeconds(60);
    private static final Duration ETCDCTL_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SAVED = Pattern.compile("backup: saved (\\S+) \\(\\d+ bytes, revision (\\d+|unchecked),");

    private static Path root;
    private static LocalCluster original;
    private static LocalCluster restored;

    @BeforeAll
    static void startCluster() throws IOException {
        root = Files.createTempDirectory("gantry-ops-it-");
        original = new LocalCluster(root.resolve("original"));
        restored = new LocalCluster(root.resolve("restored"));
        Command.Result start = original.start();
        assertThat(start.exitCode()).as(start.toString()).isZero();
        assertThat(start.stdout()).contains("3 members healthy");
    }

    @AfterAll
    static void stopEverything() throws IOException {
        try {
            stop(restored);
        } finally {
            stop(original);
        }
        // Only once every member is gone: their data is in there.
        if (root != null) {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void stop(LocalCluster cluster) {
        if (cluster != null) {
            cluster.stop();
            assertThat(cluster.runningPids()).as("members left running in %s", cluster.dir).isEmpty();
        }
    }

    private static Command.Result etcdctl(String endpoints, String... args) {
        List<String> command = new ArrayList<>(List.of("etcdctl", "--endpoints=" + endpoints));
        command.addAll(List.of(args));
        return Command.run(ETCDCTL_TIMEOUT, Map.of("ETCDCTL_API", "3"), command).assertOk();
    }

    private static JsonNode json(Command.Result result) {
        try {
            return JSON.readTree(result.stdout());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + result, e);
        }
    }

    /** {@code endpoint status --cluster}: member id → its status. */
    private static Map<String, JsonNode> clusterStatus(LocalCluster cluster) {
        Map<String, JsonNode> members = new TreeMap<>();
        for (JsonNode endpoint : json(etcdctl(cluster.clientUrls().getFirst(), "endpoint", "status", "--cluster", "-w", "json"))) {
            JsonNode status = endpoint.path("Status");
            members.put(status.at("/header/member_id").asText(), status);
        }
        return members;
    }

    /** Every key under the prefix with its value, version and revisions: what a restore must keep exactly. */
    private static Map<String, String> keys(LocalCluster cluster, String prefix) {
        Map<String, String> keys = new TreeMap<>();
        for (JsonNode kv : json(etcdctl(cluster.endpoints(), "get", prefix, "--prefix", "-w", "json")).path("kvs")) {
            keys.put(base64(kv.path("key")), base64(kv.path("value")) + " v" + kv.path("version").asLong() + " c"
                    + kv.path("create_revision").asLong() + " m" + kv.path("mod_revision").asLong());
        }
        return keys;
    }

    /** etcdctl's JSON writes keys and values in base64. */
    private static String base64(JsonNode text) {
        return new String(Base64.getDecoder().decode(text.asText()), StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> get(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + url + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void etcdctlSeesThreeHealthyMembersWithOneLeader() {
        Map<String, JsonNode> members = clusterStatus(original);
        assertThat(members).hasSize(3);
        Set<String> leaders = new HashSet<>();
        Set<String> clusters = new HashSet<>();
        members.values().forEach(s -> {
            leaders.add(s.path("leader").asText());
            clusters.add(s.at("/header/cluster_id").asText());
        });
        assertThat(leaders).as("one leader, the same for all").hasSize(1);
        assertThat(members).containsKey(leaders.iterator().next());
        assertThat(clusters).hasSize(1);

        Command.Result health = etcdctl(original.clientUrls().getFirst(), "endpoint", "health", "--cluster");
        assertThat(health.stdout() + health.stderr()).containsPattern("(?s)(is healthy.*){3}");
        Command.Result status = original.status();
        assertThat(status.exitCode()).as(status.toString()).isZero();
        assertThat(status.stdout().lines().filter(l -> l.matches("n[123] .* true"))).hasSize(3);
    }

    @Test
    void backupAndRestoreRoundTripTheClusterIntoANewOne() throws IOException {
        String prefix = "/ops-it/";
        for (int i = 0; i < 20; i++) {
            etcdctl(original.endpoints(), "put", prefix + "k" + i, "value-" + i);
        }
        etcdctl(original.endpoints(), "put", prefix + "k3", "rewritten");
        etcdctl(original.endpoints(), "del", prefix + "k7");
        Map<String, String> before = keys(original, prefix);
        assertThat(before).hasSize(19).containsKey(prefix + "k3");

        Path backups = root.resolve("backups");
        List<String> saved = new ArrayList<>();
        long revision = 0;
        for (int run = 0; run < 3; run++) {
            List<String> command = new ArrayList<>(List.of(Checkout.path("ops/backup/backup.sh").toString(),
                    "--endpoints", original.endpoints(), "--dir", backups.toString(), "--keep", "2"));
            if (run < 2) {
                command.add("--no-restore-check"); // one trial restore (a JVM start) is enough to check
            }
            Command.Result backup = Command.run(Duration.ofMinutes(2), Map.of(), command);
            assertThat(backup.exitCode()).as(backup.toString()).isZero();
            Matcher m = SAVED.matcher(backup.stdout());
            assertThat(m.find()).as(backup.stdout()).isTrue();
            saved.add(m.group(1));
            revision = run < 2 ? 0 : Long.parseLong(m.group(2));
        }
        assertThat(revision).as("the trial restore read the snapshot's revision").isGreaterThanOrEqualTo(22);
        try (Stream<Path> files = Files.list(backups)) {
            assertThat(files.map(Path::toString).filter(f -> f.endsWith(".db")))
                    .as("--keep 2: the two newest snapshots").containsExactlyInAnyOrder(saved.get(1), saved.get(2));
        }
        String snapshot = saved.get(2);
        etcdctl(original.endpoints(), "put", prefix + "after-backup", "lost by the restore");

        // A damaged copy is refused before anything is written.
        Path damaged = root.resolve("damaged.db");
        byte[] bytes = Files.readAllBytes(Path.of(snapshot));
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(damaged, bytes);
        Path nowhere = root.resolve("never-written");
        Command.Result refused = Command.run(Duration.ofSeconds(60), Map.of(), Checkout.path("ops/backup/restore.sh").toString(),
                damaged.toString(), "--name", "x", "--data-dir", nowhere.toString(), "--initial-cluster", "x=http://127.0.0.1:1",
                "--initial-advertise-peer-urls", "http://127.0.0.1:1");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("failed its integrity check");
        assertThat(nowhere).doesNotExist();

        // restore.sh as the systemd kit runs it: the member's flags from the unit's environment file; an existing data
        // directory moved aside; the token derived from the snapshot's hash.
        Path member = root.resolve("env-file-member");
        Files.createDirectories(member.resolve("data"));
        Files.writeString(member.resolve("data/old-member-file"), "the data a restore replaces");
        Path envFile = root.resolve("gantry-server.env");
        Files.writeString(envFile, "# as /etc/gantry/gantry-server.env\nGANTRY_SERVER_FLAGS=--name m1 --data-dir " + member.resolve("data")
                + " --listen-client-urls http://127.0.0.1:1 --initial-advertise-peer-urls http://127.0.0.1:2"
                + " --initial-cluster m1=http://127.0.0.1:2 --quota-backend-bytes 4294967296\n");
        Command.Result fromEnv = Command.run(Duration.ofSeconds(90), Map.of(), Checkout.path("ops/backup/restore.sh").toString(),
                snapshot, "--env-file", envFile.toString(), "--move-aside");
        assertThat(fromEnv.exitCode()).as(fromEnv.toString()).isZero();
        assertThat(fromEnv.stdout()).containsPattern("member m1 restored into \\S+ \\(cluster token restored-[0-9a-f]{12}\\)");
        try (Stream<Path> dirs = Files.list(member)) {
            Path aside = dirs.filter(p -> p.getFileName().toString().startsWith("data.before-restore-")).findFirst().orElseThrow();
            assertThat(aside.resolve("old-member-file")).as("the old data directory, moved aside").exists();
        }
        assertThat(member.resolve("data/member")).as("the restored member").isDirectory();

        Command.Result start = restored.start("--from-snapshot", snapshot);
        assertThat(start.exitCode()).as(start.toString()).isZero();
        assertThat(restored.clientUrls()).doesNotContainAnyElementsOf(original.clientUrls());

        assertThat(keys(restored, prefix)).as("keys, values, versions and revisions").isEqualTo(before);
        Map<String, JsonNode> members = clusterStatus(restored);
        assertThat(members).hasSize(3);
        Set<String> oldMembers = clusterStatus(original).keySet();
        assertThat(members.keySet()).as("new member IDs").doesNotContainAnyElementsOf(oldMembers);
        assertThat(members.values().iterator().next().at("/header/cluster_id").asText()).as("a new cluster ID")
                .isNotEqualTo(clusterStatus(original).values().iterator().next().at("/header/cluster_id").asText());
        JsonNode put = json(etcdctl(restored.endpoints(), "put", prefix + "after-restore", "ok", "-w", "json"));
        // After the snapshot's revision (the restored servers' schedulers may have written their election keys first).
        assertThat(put.at("/header/revision").asLong()).as("the revision of a write to the restored cluster").isGreaterThan(revision);
    }

    @Test
    void alertRulesAndDashboardReadMetricsTheServersExport() {
        etcdctl(original.endpoints(), "put", "/ops-it/metrics", "x"); // gRPC call counters exist once a call was made
        Map<String, Set<String>> wanted = new LinkedHashMap<>();
        MonitoringQueries.all().forEach((where, expr) -> {
            Set<String> names = new TreeSet<>(PromQl.metricNames(expr));
            assertThat(names).as("metrics of %s: %s", where, expr).isNotEmpty();
            names.removeAll(PROMETHEUS_OWN);
            wanted.put(where, names);
        });
        Instant deadline = Instant.now().plus(AWAIT);
        Map<String, Set<String>> missing;
        do {
            Set<String> exported = new HashSet<>();
            for (String http : original.httpUrls()) {
                get(http + "/metrics").body().lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                        .map(l -> l.split("[{ ]", 2)[0]).forEach(exported::add);
            }
            missing = new TreeMap<>();
            for (Map.Entry<String, Set<String>> query : wanted.entrySet()) {
                Set<String> absent = new TreeSet<>(query.getValue());
                absent.removeAll(exported);
                if (!absent.isEmpty()) {
                    missing.put(query.getKey(), absent);
                }
            }
            // Peer round-trip histograms appear after the first probe round (every 4 s): wait for them.
        } while (!missing.isEmpty() && Instant.now().isBefore(deadline) && pause());
        assertThat(missing).as("metrics no server exports, by query").isEmpty();
    }

    private static boolean pause() {
        try {
            Thread.sleep(1000);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void theProbesOfTheManifestsAnswerOnAMember() {
        Set<String> paths = new TreeSet<>(HEALTH_PATHS);
        JsonNode server = KubernetesManifestsTest.container(KubernetesManifestsTest.only("StatefulSet"));
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            paths.add(server.path(probe).at("/httpGet/path").asText());
        }
        for (String path : paths) {
            HttpResponse<String> response = get(original.httpUrls().getFirst() + path);
            assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        }
        assertThat(get(original.httpUrls().getFirst() + "/q/health/ready").body()).contains("\"UP\"");
    }

    @Test
    void theDeploymentFilesUseFlagsTheServerHas() {
        Command.Result help = Command.run(Duration.ofSeconds(60), Map.of(), Checkout.path("bin/gantry").toString(), "server", "--help")
                .assertOk();
        Set<String> flags = new TreeSet<>(KubernetesManifestsTest.serverFlags().keySet());
        String systemd = Checkout.read(SystemdUnitsTest.DIR + "/gantry-server.env").lines()
                .filter(l -> l.startsWith("GANTRY_SERVER_FLAGS=")).findFirst().orElseThrow();
        Matcher m = Pattern.compile("--([a-z-]+)").matcher(systemd);
        while (m.find()) {
            flags.add(m.group(1));
        }
        assertThat(flags).hasSizeGreaterThan(10);
        for (String flag : flags) {
            assertThat(help.stdout()).as("--%s in 'gantry server --help'", flag).contains("--" + flag + " ");
        }
    }
}
