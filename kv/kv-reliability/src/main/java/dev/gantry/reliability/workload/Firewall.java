package dev.gantry.reliability.workload;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Member;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Network faults between processes of one machine: iptables rules that drop the TCP packets one process sends to
 * given loopback ports. The process is named by its OS group ({@code -m owner --gid-owner}): members of a cluster
 * {@link Cluster#startIsolatable started isolatable} each run in a group of their own. Dropping what A sends on its
 * connections to B's ports cuts the links A opens to B (requests and acknowledgements alike, so TCP stalls both
 * ways on them) while the links B opens to A still work: a one-way partition. Dropping both A's packets to B's
 * ports and B's to A's cuts A from B entirely.
 *
 * <p>Rules live in a chain of this JVM's own, {@code gantry-nem-<pid>}, that OUTPUT jumps to for loopback
 * traffic: {@link #heal} flushes it, {@link #close} removes it. A JVM that died without closing its firewall leaves
 * its chain behind; {@link #open} removes every such chain whose JVM is gone (never another live run's).
 */
public final class Firewall implements AutoCloseable {

    private static final String CHAIN_PREFIX = "gantry-nem-";
    private static final Pattern CHAIN = Pattern.compile("^-N (" + Pattern.quote(CHAIN_PREFIX) + "(\\d+))$");
    /** iptables' multiport match takes at most 15 ports. */
    private static final int PORTS_PER_RULE = 15;

    private final String iptables;
    private final String chain;

    private Firewall(String iptables, String chain) {
        this.iptables = iptables;
        this.chain = chain;
    }

    /**
     * Why this machine cannot cut links between processes, or empty when it can: it takes root, setpriv (to start
     * processes in groups of their own), iptables, and a kernel that lets this process add owner rules (a container
     * needs CAP_NET_ADMIN). Tried for real: a rule is added to a probe chain and removed.
     */
    public static Optional<String> unavailable() {
        if (!"0".equals(run(List.of("id", "-u")).output().strip())) {
            return Optional.of("partitions need root (iptables rules, processes started in groups of their own)");
        }
        if (executable("setpriv").isEmpty()) {
            return Optional.of("partitions need setpriv (util-linux) to start each process in a group of its own");
        }
        Optional<String> iptables = executable("iptables");
        if (iptables.isEmpty()) {
            return Optional.of("partitions need iptables (Debian: apt-get install iptables)");
        }
        String probe = CHAIN_PREFIX + "probe-" + ProcessHandle.current().pid();
        Result created = run(List.of(iptables.get(), "-w", "-N", probe));
        if (!created.ok()) {
            return Optional.of("iptables cannot create a chain here (" + created.output().strip()
                    + "): a container needs CAP_NET_ADMIN");
        }
        try {
            Result rule = run(List.of(iptables.get(), "-w", "-A", probe, "-p", "tcp", "-m", "owner", "--gid-owner",
                    "61000", "-m", "multiport", "--dports", "1", "-j", "DROP"));
            return rule.ok() ? Optional.empty()
                    : Optional.of("iptables refuses an owner rule here (" + rule.output().strip() + ")");
        } finally {
            run(List.of(iptables.get(), "-w", "-F", probe));
            run(List.of(iptables.get(), "-w", "-X", probe));
        }
    }

    /**
     * Creates this JVM's chain (after removing those of JVMs that are gone) and sends loopback output through it.
     * Fails when {@link #unavailable()} says why.
     */
    public static Firewall open() {
        unavailable().ifPresent(why -> {
            throw new IllegalStateException(why);
        });
        String iptables = executable("iptables").orElseThrow();
        removeLeftovers(iptables);
        Firewall firewall = new Firewall(iptables, CHAIN_PREFIX + ProcessHandle.current().pid());
        firewall.iptables("-N", firewall.chain);
        firewall.iptables("-I", "OUTPUT", "-o", "lo", "-j", firewall.chain);
        return firewall;
    }

    /**
     * Cuts {@code member} off from {@code others}: what it sends to their ports is dropped, and, {@code bothWays},
     * what they send to its ports. One way, the connections it opens to them stall, while those they open to it
     * still work both ways (TCP acknowledges on the same connection): they reach it, it does not reach them.
     */
    public void cut(Member member, Collection<Member> others, boolean bothWays) {
        drop(member.groupId(), others.stream().flatMap(other -> other.ports().stream()).toList());
        if (bothWays) {
            others.forEach(other -> drop(other.groupId(), member.ports()));
        }
    }

    /** Drops every TCP packet that a process of group {@code gid} sends to one of {@code ports} on loopback. */
    public void drop(int gid, Collection<Integer> ports) {
        if (gid == 0) {
            throw new IllegalArgumentException("group 0 is root's: start the process in a group of its own");
        }
        List<Integer> all = List.copyOf(ports);
        for (int from = 0; from < all.size(); from += PORTS_PER_RULE) {
            String list = all.subList(from, Math.min(all.size(), from + PORTS_PER_RULE)).stream()
                    .map(String::valueOf).collect(Collectors.joining(","));
            iptables("-A", chain, "-p", "tcp", "-m", "owner", "--gid-owner", String.valueOf(gid), "-m", "multiport",
                    "--dports", list, "-j", "DROP");
        }
    }

    /** Removes every rule: all links work again (TCP retransmits what was dropped). */
    public void heal() {
        iptables("-F", chain);
    }

    /** Heals, and removes the chain and OUTPUT's jump to it. */
    @Override
    public void close() {
        remove(iptables, chain);
    }

    private void iptables(String... args) {
        List<String> command = Stream.concat(Stream.of(iptables, "-w"), Stream.of(args)).toList();
        Result result = run(command);
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + result.output().strip());
        }
    }

    /** The chains of JVMs that are no longer running (a crashed or killed test run). */
    private static void removeLeftovers(String iptables) {
        for (String line : run(List.of(iptables, "-w", "-S")).output().split("\n")) {
            Matcher m = CHAIN.matcher(line.strip());
            if (m.matches() && !ProcessHandle.of(Long.parseLong(m.group(2))).map(ProcessHandle::isAlive).orElse(false)) {
                remove(iptables, m.group(1));
            }
        }
    }

    /** Deletes OUTPUT's jumps to {@code chain} (however many), then the chain. */
    private static void remove(String iptables, String chain) {
        while (run(List.of(iptables, "-w", "-D", "OUTPUT", "-o", "lo", "-j", chain)).ok()) {
            // one jump per call
        }
        run(List.of(iptables, "-w", "-F", chain));
        run(List.of(iptables, "-w", "-X", chain));
    }

    private static Optional<String> executable(String name) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.concat(Stream.of(path.split(":")), Stream.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"))
                .filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, name)).filter(Files::isExecutable)
                .map(Path::toString).findFirst();
    }

    private record Result(int status, String output) {
        boolean ok() {
            return status == 0;
        }
    }

    private static Result run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not end within 30 s");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
