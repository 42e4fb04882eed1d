package dev.gantry.it.cluster;

import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.api.etcd.StatusResponse;
import io.grpc.ManagedChannel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cluster (1 or 3 members, usually) of real processes, of Gantry or of the real etcd, on free localhost ports, with a
 * temporary directory per member (data dir and log) that is deleted on {@link #close()}.
 *
 * <p>Every member gets etcd's server flags ({@code --name --data-dir --listen-client-urls ...}); only the command
 * in front of them depends on the {@link Implementation}. A member is ready when a gRPC Maintenance.Status on it
 * succeeds and reports a leader. Failures carry the tail of the member logs. A cluster restored from a snapshot is
 * {@link #create created}, {@link #restore restored} member by member, then {@link #startAll() started}. A cluster
 * {@link #start(Implementation, int, ClusterTls) started with TLS} gets etcd's TLS flags and {@code https://} URLs.
 */
public final class Cluster implements AutoCloseable {

    public static final String IPV4_LOOPBACK = "127.0.0.1";
    public static final String IPV6_LOOPBACK = "::1";

    /** Log lines quoted in failure messages. */
    public static final int LOG_TAIL_LINES = 60;

    private static final Duration RPC_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final String HEARTBEAT_MS = "100";
    private static final String ELECTION_MS = "1000";
    /**
     * Group ids of {@link #startIsolatable isolatable} members: 61001, 61002, ... in order of creation. They need
     * not exist in /etc/group, and two clusters may share them: firewall rules name a member's ports too.
     */
    private static final int FIRST_GROUP_ID = 61000;
    /** Members' ports: below the ephemeral range (see {@link #freePorts}). */
    private static final int LOWEST_PORT = 20_000;
    private static final int HIGHEST_PORT = 32_000;

    private final Implementation implementation;
    private final Path root;
    private final String token;
    private final String host;
    /** Grows with {@link #newMember}, shrinks with {@link #forget}. */
    private final List<Member> members = new CopyOnWriteArrayList<>();
    private final Set<Integer> usedPorts = new HashSet<>();
    private final Thread killOnExit;
    private final List<String> extraFlags;
    /** Added to every member process's environment (e.g. GANTRY_JAVA_OPTS for a test-only server switch). */
    private final Map<String, String> environment;
    private final ClusterTls tls;
    /** Whether each member runs in an OS group of its own ({@link #startIsolatable}). */
    private final boolean ownGroups;
    private int created;

    private Cluster(Implementation implementation, String host, int size, List<String> extraFlags,
            Map<String, String> environment, ClusterTls tls, boolean ownGroups) throws IOException {
        this.tls = tls;
        this.extraFlags = List.copyOf(extraFlags);
        this.environment = Map.copyOf(environment);
        this.ownGroups = ownGroups;
        this.implementation = implementation;
        this.root = Files.createTempDirectory("gantry-it-" + implementation + "-");
        this.token = "gantry-it-" + UUID.randomUUID();
        this.host = host;
        for (int i = 0; i < size; i++) {
            members.add(createMember("m" + (i + 1)));
        }
        String initialCluster = initialCluster(members);
        members.forEach(member -> member.bootstrap(initialCluster, "new"));
        // Members must not outlive the test JVM, even when it dies without closing the cluster.
        this.killOnExit = new Thread(() -> members.forEach(member -> signal(member, true)), "kill " + root);
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /** Starts a cluster of the implementation chosen by {@code -Dit.impl} and waits until every member is ready. */
    public static Cluster start(int size) {
        return start(Implementation.fromSystemProperty(), size);
    }

    /** Starts a cluster of the given implementation and size (1 or 3, usually) and waits until all are ready. */
    public static Cluster start(Implementation implementation, int size) {
        return start(implementation, size, List.of());
    }

    /** As {@link #start(Implementation, int)}, with more server flags for every member (e.g. {@code --snapshot-count 50}). */
    public static Cluster start(Implementation implementation, int size, List<String> extraFlags) {
        return start(implementation, IPV4_LOOPBACK, size, extraFlags);
    }

    /**
     * The full form: every member listens on {@code host}, a loopback address ({@link #IPV4_LOOPBACK} or
     * {@link #IPV6_LOOPBACK}), and gets {@code extraFlags} after the common ones.
     */
    public static Cluster start(Implementation implementation, String host, int size, List<String> extraFlags) {
        return start(implementation, host, size, extraFlags, Map.of());
    }

    /** As {@link #start(Implementation, String, int, List)}, with variables added to every member's environment. */
    public static Cluster start(Implementation implementation, String host, int size, List<String> extraFlags,
            Map<String, String> environment) {
        return start(create(implementation, host, size, extraFlags, environment, ClusterTls.NONE, false));
    }

    /**
     * A cluster whose members (and the harness's clients: {@link Member#channel()}, {@link Etcdctl#of},
     * {@link MemberHttp}) use TLS as {@code tls} says, on {@code https://} URLs.
     */
    public static Cluster start(Implementation implementation, int size, ClusterTls tls) {
        return start(create(implementation, IPV4_LOOPBACK, size, List.of(), Map.of(), tls, false));
    }

    /**
     * As {@link #start(Implementation, int, List)}, with every member's process in an OS group of its own
     * ({@code setpriv --regid}, which needs root): the group tells the member's sockets apart from every other
     * process's on this host, so that a firewall rule ({@code iptables -m owner --gid-owner}) can cut the links
     * between members, both ways or one way: network partitions on one machine. See {@link Member#groupId()}.
     */
    public static Cluster startIsolatable(Implementation implementation, int size, List<String> extraFlags) {
        return start(create(implementation, IPV4_LOOPBACK, size, extraFlags, Map.of(), ClusterTls.NONE, true));
    }

    private static Cluster start(Cluster cluster) {
        try {
            cluster.startAll();
            return cluster;
        } catch (RuntimeException e) {
            try {
                cluster.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /**
     * Prepares a member that will join this running cluster: its ports, its directory, and flags naming the
     * members running now plus itself with {@code --initial-cluster-state existing}. It is not started: add it with
     * {@code etcdctl member add} first, then {@link #startNew start} it.
     */
    public Member newMember(String name) {
        try {
            Member member = createMember(name);
            List<Member> cluster = new ArrayList<>(running());
            cluster.add(member);
            member.bootstrap(initialCluster(cluster), "existing");
            members.add(member);
            return member;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare member " + name, e);
        }
    }

    /** Starts a member prepared by {@link #newMember} and waits until it is ready. */
    public void startNew(Member member) {
        restart(List.of(member));
    }

    /** Drops a member that has left the cluster (it was removed and has exited) from {@link #members()}. */
    public void forget(Member member) {
        if (member.isRunning()) {
            throw new IllegalStateException(member + " is still running");
        }
        members.remove(member);
        member.channel().shutdownNow();
    }

    private Member createMember(String name) throws IOException {
        int[] ports;
        do { // ports once given to a member stay its own, even while it is stopped
            ports = freePorts(host, 3);
        } while (Arrays.stream(ports).anyMatch(usedPorts::contains));
        Arrays.stream(ports).forEach(usedPorts::add);
        created++;
        return new Member(name, host, ports[0], ports[1], ports[2], Files.createDirectory(root.resolve(name)), tls,
                ownGroups ? FIRST_GROUP_ID + created : 0);
    }

    private static String initialCluster(List<Member> members) {
        return members.stream().map(peer -> peer.name() + "=" + peer.peerUrl()).collect(Collectors.joining(","));
    }

    /**
     * Creates a cluster's members (free ports, a directory each) without starting any, so that a test can seed
     * their data directories first ({@link #restore}); {@link #startAll()} then starts them. The caller closes it.
     */
    public static Cluster create(Implementation implementation, int size) {
        return create(implementation, IPV4_LOOPBACK, size, List.of(), Map.of(), ClusterTls.NONE, false);
    }

    private static Cluster create(Implementation implementation, String host, int size, List<String> extraFlags,
            Map<String, String> environment, ClusterTls tls, boolean ownGroups) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster has at least one member, not " + size);
        }
        try {
            return new Cluster(implementation, host, size, extraFlags, environment, tls, ownGroups);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a cluster directory", e);
        }
    }

    /** Starts every member of a {@link #create created} cluster, and waits until all are ready. */
    public void startAll() {
        if (members.stream().anyMatch(member -> member.process().isPresent())) {
            throw new IllegalStateException(this + " was started already: use restart for stopped members");
        }
        members.forEach(this::launch);
        awaitReady(members);
    }

    /**
     * Restores {@code snapshot} into the (not yet started) member's data directory with the implementation's own
     * command, {@code etcdctl snapshot restore} or {@code gantry snapshot restore}, given the name, peer URL,
     * initial cluster and token the member will start with.
     */
    public Etcdctl.Result restore(Member member, Path snapshot) {
        List<String> command = Stream.concat(implementation.restoreCommand().stream(), Stream.of(
                snapshot.toString(),
                "--name", member.name(),
                "--data-dir", member.dataDir().toString(),
                "--initial-cluster", initialCluster(members),
                "--initial-cluster-token", token,
                "--initial-advertise-peer-urls", member.peerUrl())).toList();
        ProcessBuilder builder = new ProcessBuilder(command).directory(member.dir().toFile());
        builder.environment().put("ETCDCTL_API", "3");
        return Etcdctl.execute(builder, null, Etcdctl.DEFAULT_TIMEOUT.multipliedBy(4));
    }

    public Implementation implementation() {
        return implementation;
    }

    /** How the members secure their connections ({@link ClusterTls#NONE}: plain http). */
    public ClusterTls tls() {
        return tls;
    }

    public List<Member> members() {
        return List.copyOf(members);
    }

    public Member member(String name) {
        return members.stream().filter(member -> member.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no member " + name + " in " + members));
    }

    /** Client URLs of all members, comma-separated, as {@code --endpoints} takes them. */
    public String endpoints() {
        return members.stream().map(Member::clientUrl).collect(Collectors.joining(","));
    }

    /** Shorthand for {@link Member#channel()}. */
    public ManagedChannel channel(Member member) {
        return member.channel();
    }

    /**
     * The member that all running members name as leader, waiting (up to the implementation's ready timeout) until
     * they agree on one that is running.
     */
    public Member leader() {
        return Await.until("a leader agreed on by the running members " + running(), implementation.readyTimeout(),
                this::agreedLeader, () -> logTails(LOG_TAIL_LINES));
    }

    private Optional<Member> agreedLeader() {
        Set<Long> named = new HashSet<>();
        for (Member member : running()) {
            named.add(status(member).getLeader());
        }
        if (named.size() != 1) {
            return Optional.empty();
        }
        long leaderId = named.iterator().next();
        return running().stream().filter(member -> member.id() == leaderId).findFirst();
    }

    /** SIGKILLs the member's process and all its descendants (bin/gantry is a script that runs java). */
    public void kill9(Member member) {
        awaitExit(member, signal(member, true), KILL_TIMEOUT);
    }

    /** SIGTERMs the member's process tree and waits for it to exit; kills it and fails if it does not in 30 s. */
    public void stop(Member member) {
        List<ProcessHandle> tree = signal(member, false);
        try {
            awaitExit(member, tree, STOP_TIMEOUT);
        } catch (IllegalStateException notStopped) {
            tree.forEach(ProcessHandle::destroyForcibly);
            awaitExit(member, tree, KILL_TIMEOUT);
            throw notStopped;
        }
    }

    /**
     * Starts a stopped or killed member again with the same flags and data dir, and waits until it is ready.
     * Its {@link Member#channel() channel} stays valid.
     */
    public void restart(Member member) {
        restart(List.of(member));
    }

    /**
     * Starts several stopped or killed members again, all before waiting for any: when a quorum is down (say the
     * whole cluster was killed), no member alone can be ready, so {@link #restart(Member)} one by one would time out.
     */
    public void restart(Collection<Member> stopped) {
        for (Member member : stopped) {
            if (member.isRunning()) {
                throw new IllegalStateException(member + " is still running: stop or kill it first");
            }
        }
        stopped.forEach(this::launch);
        awaitReady(stopped);
    }

    /** Maintenance.Status of one member, with a short deadline. */
    public StatusResponse status(Member member) {
        return MaintenanceGrpc.newBlockingStub(member.channel())
                .withDeadlineAfter(RPC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .status(StatusRequest.getDefaultInstance());
    }

    /** The tails of all member logs, for failure messages. */
    public String logTails(int lines) {
        return members.stream().map(member -> member.logTail(lines)).collect(Collectors.joining());
    }

    /** Kills every member, closes the channels and deletes the members' directories. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (Member member : members) {
            try {
                kill9(member);
            } catch (RuntimeException e) {
                failure = e;
            }
            member.channel().shutdownNow();
        }
        for (Member member : members) {
            try {
                member.channel().awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        deleteRecursively(root);
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway, and finds nothing left to kill
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The members whose process is alive now (a paused one counts as running). */
    public List<Member> running() {
        return members.stream().filter(Member::isRunning).toList();
    }

    /**
     * Deletes a stopped or killed member's data directory (its log stays), as an operator replacing a failed disk
     * does: restarted on it, the member would start empty.
     */
    public void wipe(Member member) {
        if (member.isRunning()) {
            throw new IllegalStateException(member + " is still running: stop or kill it first");
        }
        deleteRecursively(member.dataDir());
    }

    /** SIGSTOPs the member's process tree: it stays alive, but answers nothing until {@link #resume}. */
    public void pause(Member member) {
        sendSignal(member, "STOP");
    }

    /** SIGCONTs a {@link #pause paused} member's process tree. */
    public void resume(Member member) {
        sendSignal(member, "CONT");
    }

    private List<String> flags(Member member) {
        return Stream.concat(Stream.of(
                "--name", member.name(),
                "--data-dir", member.dataDir().toString(),
                "--listen-client-urls", member.clientUrl(),
                "--advertise-client-urls", member.clientUrl(),
                "--listen-peer-urls", member.peerUrl(),
                "--initial-advertise-peer-urls", member.peerUrl(),
                // Both implementations ignore these two on restarts, when the data dir holds a member.
                "--initial-cluster", member.initialCluster(),
                "--initial-cluster-state", member.clusterState(),
                "--initial-cluster-token", token,
                "--heartbeat-interval", HEARTBEAT_MS,
                "--election-timeout", ELECTION_MS), Stream.of(tls.serverFlags().stream(), gantryFlags(member), extraFlags.stream())
                .flatMap(flags -> flags)).toList();
    }

    /**
     * Gantry's own HTTP listener would otherwise default to the client port + 2, which may be taken. Its scheduler
     * and local agent are off unless a test asks for them with a {@code --scheduler...} or {@code --agent...} flag:
     * they write to the store (the election key, the node key), and the KV tests compare revisions and key spaces
     * with etcd's.
     */
    private Stream<String> gantryFlags(Member member) {
        if (implementation != Implementation.GANTRY) {
            return Stream.empty();
        }
        boolean schedulerAsked = extraFlags.stream().anyMatch(flag -> flag.startsWith("--scheduler"));
        boolean agentAsked = extraFlags.stream().anyMatch(flag -> flag.startsWith("--agent"));
        return Stream.of(Stream.of("--listen-http-urls", member.httpUrl()),
                schedulerAsked ? Stream.<String>empty() : Stream.of("--scheduler=off"),
                agentAsked ? Stream.<String>empty() : Stream.of("--agent=off")).flatMap(s -> s);
    }

    private void launch(Member member) {
        List<String> command = Stream.of(inGroup(member), implementation.command(), flags(member))
                .flatMap(List::stream).toList();
        try {
            Files.writeString(member.logFile(),
                    "==== " + Instant.now() + " starting " + member.name() + ": " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(environment);
            member.process(builder
                    .directory(member.dir().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(member.logFile().toFile()))
                    .start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + member + ": " + String.join(" ", command), e);
        }
    }

    /** {@code setpriv} in front of the command of a member with a group of its own: it execs, so the pid stays. */
    private static List<String> inGroup(Member member) {
        return member.groupId() == 0 ? List.of()
                : List.of("setpriv", "--regid=" + member.groupId(), "--clear-groups", "--");
    }

    private void awaitReady(Collection<Member> starting) {
        Set<Member> pending = new LinkedHashSet<>(starting);
        String what = pending.stream().map(Member::name).collect(Collectors.joining(", "))
                + " of " + implementation + " serving Maintenance.Status with a leader";
        Await.until(what, implementation.readyTimeout(), () -> {
            for (Member member : List.copyOf(pending)) {
                if (!member.isRunning()) {
                    throw new Await.Abort(member.name() + " exited with status "
                            + member.currentProcess().exitValue());
                }
                member.channel().resetConnectBackoff();
                StatusResponse status = status(member);
                if (status.getLeader() != 0) {
                    member.id(status.getHeader().getMemberId());
                    pending.remove(member);
                }
            }
            return pending.isEmpty() ? Optional.of(true) : Optional.empty();
        }, () -> logTails(LOG_TAIL_LINES));
    }

    /**
     * Signals the member's process and its descendants, and returns them all. The descendants are collected before
     * anything is signalled: once the root is gone they are no longer its descendants.
     */
    private static List<ProcessHandle> signal(Member member, boolean force) {
        List<ProcessHandle> tree = processTree(member);
        for (ProcessHandle handle : tree) {
            if (force) {
                handle.destroyForcibly();
            } else {
                handle.destroy();
            }
        }
        return tree;
    }

    /** The member's process and its descendants, collected before anything is signalled. */
    private static List<ProcessHandle> processTree(Member member) {
        return member.process()
                .map(root -> Stream.concat(root.descendants(), Stream.of(root)).toList())
                .orElse(List.of());
    }

    /** Sends a signal that Java cannot ({@code kill -STOP}, {@code -CONT}) to the member's process tree. */
    private static void sendSignal(Member member, String signal) {
        for (ProcessHandle handle : processTree(member)) {
            try {
                Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(handle.pid())).start();
                if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                    kill.destroyForcibly();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot send SIG" + signal + " to " + member, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void awaitExit(Member member, List<ProcessHandle> tree, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ProcessHandle handle : tree) {
            try {
                handle.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException(member + " (pid " + handle.pid() + ") still running "
                        + timeout.toSeconds() + " s after it was signalled\n" + member.logTail(LOG_TAIL_LINES), e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + member + " to exit", e);
            }
        }
    }

    /**
     * Ports free right now on {@code host}, all distinct, picked below the kernel's ephemeral range (32768 and up):
     * a member keeps its ports across restarts, and a port from that range may meanwhile have become the source
     * port of some outgoing connection, so the restarted member could not bind it again.
     */
    static int[] freePorts(String host, int count) throws IOException {
        InetAddress address = InetAddress.getByName(host);
        Set<Integer> picked = new LinkedHashSet<>();
        for (int attempt = 0; picked.size() < count; attempt++) {
            if (attempt == 10_000) {
                throw new IOException("no " + count + " free ports between " + LOWEST_PORT + " and " + HIGHEST_PORT);
            }
            int port = ThreadLocalRandom.current().nextInt(LOWEST_PORT, HIGHEST_PORT);
            if (!picked.contains(port) && isFree(address, port)) {
                picked.add(port);
            }
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean isFree(InetAddress address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(address, port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    @Override
    public String toString() {
        return implementation + " cluster " + members;
    }
}
