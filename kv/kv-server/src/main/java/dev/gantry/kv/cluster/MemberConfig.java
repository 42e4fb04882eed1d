package dev.gantry.kv.cluster;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.gantry.kv.tls.Credentials;
import dev.gantry.kv.tls.TransportSecurity;

/**
 * One member's configuration, with etcd's flags and defaults: {@code --name --data-dir
 * --listen-client-urls --advertise-client-urls --listen-peer-urls --initial-advertise-peer-urls
 * --initial-cluster --initial-cluster-state --initial-cluster-token --heartbeat-interval --election-timeout
 * --max-request-bytes --max-txn-ops --snapshot-count --experimental-watch-progress-notify-interval --auto-compaction-mode
 * --auto-compaction-retention --quota-backend-bytes}, and TLS on the client and peer sides ({@link TransportSecurity}).
 * The initial-cluster flags only matter the first time a data directory is used; afterwards the member rejoins the
 * cluster recorded there.
 */
public record MemberConfig(
        String name,
        Path dataDir,
        List<URI> listenClientUrls,
        List<URI> advertiseClientUrls,
        List<URI> listenPeerUrls,
        List<URI> advertisePeerUrls,
        Map<String, List<URI>> initialCluster,
        boolean newCluster,
        String clusterToken,
        Duration heartbeatInterval,
        Duration electionTimeout,
        int maxRequestBytes,
        int maxTxnOps,
        long snapshotCount,
        Duration watchProgressNotifyInterval,
        AutoCompaction autoCompaction,
        long quotaBackendBytes,
        TransportSecurity clientTls,
        TransportSecurity peerTls) {

    /**
     * etcd's {@code --auto-compaction-mode} and {@code --auto-compaction-retention}: periodic keeps a window of
     * {@code retention}; revision keeps the last {@code retainedRevisions}. Off when both are zero.
     */
    public record AutoCompaction(boolean periodic, Duration retention, long retainedRevisions) {
        public static final AutoCompaction OFF = new AutoCompaction(true, Duration.ZERO, 0);

        public boolean enabled() {
            return periodic ? !retention.isZero() : retainedRevisions > 0;
        }

        static AutoCompaction parse(String mode, String retention) {
            String value = retention.trim();
            switch (mode) {
                case "periodic" -> {
                    if (value.matches("\\d+")) { // a bare number is hours, as in etcd
                        return new AutoCompaction(true, Duration.ofHours(Long.parseLong(value)), 0);
                    }
                    return new AutoCompaction(true, duration("auto-compaction-retention", value, Duration.ofSeconds(1)), 0);
                }
                case "revision" -> {
                    if (!value.matches("\\d+")) {
                        throw new IllegalArgumentException("--auto-compaction-retention must be a number of revisions "
                                + "in revision mode, got '" + retention + "'");
                    }
                    return new AutoCompaction(false, Duration.ZERO, Long.parseLong(value));
                }
                default -> throw new IllegalArgumentException("--auto-compaction-mode must be 'periodic' or 'revision', not '"
                        + mode + "'");
            }
        }
    }

    public static final int DEFAULT_MAX_REQUEST_BYTES = 1536 * 1024;
    /** etcd's {@code --quota-backend-bytes} default (given as 0), and the most it suggests. */
    public static final long DEFAULT_QUOTA_BACKEND_BYTES = 2L * 1024 * 1024 * 1024;
    public static final long SUGGESTED_MAX_QUOTA_BACKEND_BYTES = 8L * 1024 * 1024 * 1024;

    public MemberConfig {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("--name must not be empty");
        }
        if (!initialCluster.containsKey(name)) {
            throw new IllegalArgumentException("--initial-cluster has no entry for this member's --name '" + name
                    + "': it lists " + initialCluster.keySet());
        }
        if (electionTimeout.compareTo(heartbeatInterval.multipliedBy(5)) < 0) {
            throw new IllegalArgumentException("--election-timeout (" + electionTimeout.toMillis()
                    + " ms) must be at least 5 times --heartbeat-interval (" + heartbeatInterval.toMillis() + " ms), as in etcd");
        }
        if (maxTxnOps <= 0) {
            throw new IllegalArgumentException("--max-txn-ops must be positive");
        }
        if (maxRequestBytes <= 0) {
            throw new IllegalArgumentException("--max-request-bytes must be positive");
        }
        if (quotaBackendBytes <= 0) {
            throw new IllegalArgumentException("--quota-backend-bytes must be positive");
        }
    }

    /** etcd's defaults, with Gantry's data directory: a single-member cluster on localhost. */
    public static MemberConfig defaults() {
        return parse(Map.of());
    }

    /**
     * Builds a configuration from flag values keyed by flag name without the dashes ({@code "name"},
     * {@code "listen-client-urls"}, ...); absent flags take etcd's defaults.
     */
    public static MemberConfig parse(Map<String, String> flags) {
        String name = flags.getOrDefault("name", "default");
        List<URI> advertisePeers = Urls.parseList("initial-advertise-peer-urls",
                flags.getOrDefault("initial-advertise-peer-urls", "http://localhost:2380"));
        String initialCluster = flags.getOrDefault("initial-cluster", name + "=" + Urls.join(advertisePeers));
        String state = flags.getOrDefault("initial-cluster-state", "new");
        if (!state.equals("new") && !state.equals("existing")) {
            throw new IllegalArgumentException("--initial-cluster-state must be 'new' or 'existing', not '" + state + "'");
        }
        List<URI> listenClients = Urls.parseList("listen-client-urls", flags.getOrDefault("listen-client-urls", "http://localhost:2379"));
        return new MemberConfig(
                name,
                Path.of(flags.getOrDefault("data-dir", "gantry-data")),
                listenClients,
                Urls.parseList("advertise-client-urls", flags.getOrDefault("advertise-client-urls", Urls.join(listenClients))),
                Urls.parseList("listen-peer-urls", flags.getOrDefault("listen-peer-urls", "http://localhost:2380")),
                advertisePeers,
                parseInitialCluster(initialCluster),
                state.equals("new"),
                flags.getOrDefault("initial-cluster-token", "etcd-cluster"),
                Duration.ofMillis(positiveLong("heartbeat-interval", flags.getOrDefault("heartbeat-interval", "100"))),
                Duration.ofMillis(positiveLong("election-timeout", flags.getOrDefault("election-timeout", "1000"))),
                (int) positiveLong("max-request-bytes", flags.getOrDefault("max-request-bytes", String.valueOf(DEFAULT_MAX_REQUEST_BYTES))),
                (int) positiveLong("max-txn-ops", flags.getOrDefault("max-txn-ops", "128")),
                positiveLong("snapshot-count", flags.getOrDefault("snapshot-count", "100000")),
                duration("experimental-watch-progress-notify-interval",
                        flags.getOrDefault("experimental-watch-progress-notify-interval", "10m"), Duration.ofMillis(100)),
                autoCompaction(flags.getOrDefault("auto-compaction-mode", "periodic"),
                        flags.getOrDefault("auto-compaction-retention", "0")),
                quotaBackendBytes(flags.getOrDefault("quota-backend-bytes", "0")),
                TransportSecurity.parse(TransportSecurity.Side.CLIENT, flags),
                TransportSecurity.parse(TransportSecurity.Side.PEER, flags));
    }

    /**
     * 0 means etcd's default, 2 GiB. etcd takes a negative quota to mean "no quota"; Gantry refuses it rather
     * than let a store fill its disk unnoticed.
     */
    private static long quotaBackendBytes(String value) {
        long bytes;
        try {
            bytes = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--quota-backend-bytes must be a number of bytes, got '" + value + "'");
        }
        if (bytes < 0) {
            throw new IllegalArgumentException("--quota-backend-bytes must be a number of bytes, or 0 for the default "
                    + "(2 GiB); a negative quota (no quota in etcd) is not supported, got " + value);
        }
        return bytes == 0 ? DEFAULT_QUOTA_BACKEND_BYTES : bytes;
    }

    private static AutoCompaction autoCompaction(String mode, String retention) {
        if (retention.trim().equals("0") && (mode.equals("periodic") || mode.equals("revision"))) {
            return AutoCompaction.OFF;
        }
        return AutoCompaction.parse(mode, retention);
    }

    /** A Go duration as etcd's flags take it: {@code 10m}, {@code 1h30m}, {@code 5s}, {@code 250ms}. */
    static Duration duration(String flag, String value, Duration min) {
        java.util.regex.Matcher part = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(value.trim());
        Duration total = Duration.ZERO;
        int end = 0;
        while (part.find() && part.start() == end) {
            long n = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            end = part.end();
        }
        if (end == 0 || end != value.trim().length()) {
            throw new IllegalArgumentException("--" + flag + " must be a duration such as 10m, 30s or 500ms, got '" + value + "'");
        }
        if (total.compareTo(min) < 0) {
            throw new IllegalArgumentException("--" + flag + " must be at least " + min.toMillis() + "ms, got " + value);
        }
        return total;
    }

    /** {@code n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380}; a name may repeat to list several peer URLs. */
    static Map<String, List<URI>> parseInitialCluster(String value) {
        Map<String, List<URI>> members = new LinkedHashMap<>();
        for (String entry : value.split(",")) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException("--initial-cluster entry '" + entry + "' is not NAME=PEER-URL");
            }
            members.computeIfAbsent(entry.substring(0, eq).trim(), n -> new ArrayList<>())
                    .add(Urls.parse("initial-cluster", entry.substring(eq + 1).trim()));
        }
        return members;
    }

    private static long positiveLong(String flag, String value) {
        try {
            long v = Long.parseLong(value.trim());
            if (v <= 0) {
                throw new IllegalArgumentException("--" + flag + " must be positive, got " + value);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + flag + " must be a number, got '" + value + "'");
        }
    }

    public Path memberDir() {
        return dataDir.resolve("member");
    }

    /**
     * The client side's TLS for serving: the URLs checked against it (https exactly when it is on), the files read
     * and checked (for auto-tls: made); null when clients connect in plaintext. Only a starting server asks: a
     * snapshot restore takes https URLs without certificates, as etcdctl's does.
     */
    public Credentials clientCredentials() {
        clientTls.checkUrls("listen-client-urls", listenClientUrls);
        clientTls.checkUrls("advertise-client-urls", advertiseClientUrls);
        return clientTls.load(dataDir, listenClientUrls, advertiseClientUrls);
    }

    /** The peer side's TLS for serving, as {@link #clientCredentials()}; null when members connect in plaintext. */
    public Credentials peerCredentials() {
        peerTls.checkUrls("listen-peer-urls", listenPeerUrls);
        peerTls.checkUrls("initial-advertise-peer-urls", advertisePeerUrls);
        return peerTls.load(dataDir, listenPeerUrls, advertisePeerUrls);
    }

    /** The member's KV store (Xodus): outside Raft's storage, whose {@code sm/} a snapshot install replaces. */
    public Path storeDir() {
        return memberDir().resolve("kv");
    }
}
