package dev.gantry.it.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The program a {@link Cluster} runs. Both take exactly etcd's server flags, so a cluster builds one flag
 * list per member and only the command in front of it differs.
 */
public enum Implementation {

    /** The real etcd: {@code /usr/bin/etcd}, or {@code etcd} on the PATH. */
    ETCD(Duration.ofSeconds(20)) {
        @Override
        List<String> command() {
            return List.of(executableOnPath("etcd")
                    .orElseThrow(() -> new IllegalStateException(
                            "etcd not found in /usr/bin or on the PATH: install etcd 3.4+ (Debian: etcd-server)"))
                    .toString());
        }

        @Override
        List<String> restoreCommand() {
            return List.of(executableOnPath("etcdctl")
                    .orElseThrow(() -> new IllegalStateException(
                            "etcdctl not found in /usr/bin or on the PATH: install etcd 3.4+ (Debian: etcd-client)"))
                    .toString(), "snapshot", "restore");
        }

        @Override
        public boolean isAvailable() {
            return executableOnPath("etcd").isPresent();
        }
    },

    /**
     * Gantry: {@code <gantry.home>/bin/gantry server}. Readiness allows for JVM starts: three members starting at
     * once on a busy 2-core machine took 60-90 s (with TLS, which loads more classes and a native library), against
     * 15-25 s on a quiet one.
     */
    GANTRY(Duration.ofSeconds(120)) {
        @Override
        List<String> command() {
            Path launcher = gantryHome().resolve("bin").resolve("gantry");
            if (!Files.isExecutable(launcher)) {
                throw new IllegalStateException(launcher + " is missing or not executable: build the server that it "
                        + "launches, or point -D" + GANTRY_HOME_PROPERTY + " at the repository root");
            }
            return List.of(launcher.toString(), "server");
        }

        @Override
        List<String> restoreCommand() {
            return List.of(command().get(0), "snapshot", "restore");
        }

        @Override
        public boolean isAvailable() {
            return Files.isExecutable(gantryHome().resolve("bin").resolve("gantry"));
        }
    };

    /** System property that chooses the implementation for implementation-neutral tests: gantry (default) or etcd. */
    public static final String PROPERTY = "it.impl";

    /** System property naming the Gantry repository root, where {@code bin/gantry} is. */
    public static final String GANTRY_HOME_PROPERTY = "gantry.home";

    private final Duration readyTimeout;

    Implementation(Duration readyTimeout) {
        this.readyTimeout = readyTimeout;
    }

    /** The implementation named by {@value #PROPERTY}; Gantry when unset. */
    public static Implementation fromSystemProperty() {
        String name = System.getProperty(PROPERTY, "gantry").trim();
        return Stream.of(values())
                .filter(implementation -> implementation.name().equalsIgnoreCase(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "-D" + PROPERTY + "=" + name + " is not one of: gantry, etcd"));
    }

    /** The command that, followed by etcd's server flags, starts one member. */
    abstract List<String> command();

    /**
     * The command that, followed by a snapshot file and etcd's restore flags ({@code --name --data-dir
     * --initial-cluster ...}), makes a member's data directory from the snapshot: {@code etcdctl snapshot restore}
     * for etcd 3.4, {@code gantry snapshot restore} for Gantry.
     */
    abstract List<String> restoreCommand();

    /** Whether this machine can run the implementation (for assumptions in tests). */
    public abstract boolean isAvailable();

    /** How long a member may take from process start to serving requests with a known leader. */
    public Duration readyTimeout() {
        return readyTimeout;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Path gantryHome() {
        String home = System.getProperty(GANTRY_HOME_PROPERTY);
        if (home != null && !home.isBlank()) {
            return Path.of(home).toAbsolutePath();
        }
        // Run from an IDE: the repository root is the nearest ancestor of the working directory with bin/gantry.
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("bin").resolve("gantry"))) {
                return dir;
            }
        }
        return Path.of("").toAbsolutePath();
    }

    static Optional<Path> executableOnPath(String name) {
        Path preferred = Path.of("/usr/bin", name);
        if (Files.isExecutable(preferred)) {
            return Optional.of(preferred);
        }
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(java.io.File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable)
                .findFirst();
    }
}
