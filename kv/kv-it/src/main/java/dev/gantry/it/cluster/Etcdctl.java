package dev.gantry.it.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code etcdctl} (v3 API), run as a process against a set of endpoints: what an operator would type.
 *
 * <pre>{@code
 * Etcdctl etcdctl = Etcdctl.of(cluster);
 * etcdctl.run("put", "a", "1");                                   // exit 0, stdout "OK\n"
 * etcdctl.runWithStdin("value(\"a\") = \"1\"\n\nput b 2\n\n\n", "txn", "-i");
 * try (EtcdctlProcess watch = etcdctl.start("watch", "a")) { ... }  // in the background: see EtcdctlProcess
 * }</pre>
 */
public final class Etcdctl {

    /** Default limit for one invocation. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** What one invocation left behind. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean succeeded() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private final Path binary;
    private final String endpoints;
    private final List<String> globalFlags;

    public Etcdctl(String endpoints) {
        this(endpoints, List.of());
    }

    /** With global flags before every command, e.g. the TLS ones: {@code --cacert=ca.pem}. */
    public Etcdctl(String endpoints, List<String> globalFlags) {
        this.binary = Implementation.executableOnPath("etcdctl").orElseThrow(() -> new IllegalStateException(
                "etcdctl not found in /usr/bin or on the PATH: install etcd 3.4+ (Debian: etcd-client)"));
        this.endpoints = endpoints;
        this.globalFlags = List.copyOf(globalFlags);
    }

    /** An etcdctl talking to all members of the cluster (with the cluster's TLS flags). */
    public static Etcdctl of(Cluster cluster) {
        return new Etcdctl(cluster.endpoints(), cluster.tls().etcdctlFlags());
    }

    /** An etcdctl talking to one member only (with the cluster's TLS flags). */
    public static Etcdctl of(Member member) {
        return new Etcdctl(member.clientUrl(), member.tls().etcdctlFlags());
    }

    public static boolean isAvailable() {
        return Implementation.executableOnPath("etcdctl").isPresent();
    }

    /**
     * Starts {@code etcdctl --endpoints=<endpoints> <args>} in the background, for commands that run until stopped
     * ({@code watch}, {@code lease keep-alive}, {@code lock}, {@code elect}). The caller closes it.
     */
    public EtcdctlProcess start(String... args) {
        return new EtcdctlProcess(builder(List.of(args)));
    }

    public Result run(String... args) {
        return run(null, DEFAULT_TIMEOUT, List.of(args));
    }

    /** Runs with {@code stdin} as standard input, for {@code txn -i} and the like. */
    public Result runWithStdin(String stdin, String... args) {
        return run(stdin, DEFAULT_TIMEOUT, List.of(args));
    }

    /**
     * Runs {@code etcdctl --endpoints=<endpoints> <args>} with {@code ETCDCTL_API=3}.
     *
     * @param stdin   standard input, or null for none
     * @throws IllegalStateException if it runs longer than {@code timeout} (it is killed)
     */
    public Result run(String stdin, Duration timeout, List<String> args) {
        return execute(builder(args), stdin, timeout);
    }

    /**
     * Runs a command to its end (etcdctl, or another operator command such as {@code gantry snapshot restore}) and
     * returns what it left behind.
     *
     * @throws IllegalStateException if it runs longer than {@code timeout} (it is killed)
     */
    static Result execute(ProcessBuilder builder, String stdin, Duration timeout) {
        List<String> command = builder.command();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        }
        CompletableFuture<String> stdout = readAsync(process.getInputStream());
        CompletableFuture<String> stderr = readAsync(process.getErrorStream());
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the command exited before reading all of its input: its exit code and stderr tell why
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException(String.join(" ", command) + " ran longer than " + timeout.toSeconds()
                        + " s and was killed\n--- stdout\n" + stdout.join() + "--- stderr\n" + stderr.join());
            }
            return new Result(process.exitValue(), stdout.get(), stderr.get());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the output of " + String.join(" ", command), e.getCause());
        }
    }

    private ProcessBuilder builder(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.add("--endpoints=" + endpoints);
        command.addAll(globalFlags);
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("ETCDCTL_API", "3");
        return builder;
    }

    private static CompletableFuture<String> readAsync(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(e);
            }
        });
        return text;
    }
}
