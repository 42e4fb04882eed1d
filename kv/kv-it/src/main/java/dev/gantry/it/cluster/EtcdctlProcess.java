package dev.gantry.it.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A long-running {@code etcdctl} (for {@code watch}, {@code lease keep-alive}, {@code lock}, {@code elect}) started in
 * the background by {@link Etcdctl#start(String...)}: its stdout is collected line by line, with the time each line
 * arrived, so that a test can wait for the lines it expects, and stop or kill the process when done.
 *
 * <pre>{@code
 * try (EtcdctlProcess watch = Etcdctl.of(member).start("watch", "/p/", "--prefix", "--rev=5")) {
 *     watch.awaitLines("the first event", Duration.ofSeconds(10), lines -> lines.size() >= 3);
 * }                                                      // close() kills it and whatever it started
 * }</pre>
 */
public final class EtcdctlProcess implements AutoCloseable {

    /** How long {@link #close()} waits for the killed process tree to go. */
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    /** One line of stdout (without its line break) and when it arrived ({@link System#nanoTime()}). */
    public record Line(String text, long nanos) {
    }

    private final String command;
    private final Process process;
    private final List<Line> stdout = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> stdoutDone = new CompletableFuture<>();
    private final StringBuffer stderr = new StringBuffer();
    private final CompletableFuture<Void> stderrDone = new CompletableFuture<>();

    EtcdctlProcess(ProcessBuilder builder) {
        this.command = String.join(" ", builder.command());
        try {
            this.process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // nothing to close: etcdctl reads no input here
        }
        Thread.ofVirtual().start(() -> readLines(process.getInputStream()));
        Thread.ofVirtual().start(() -> readStderr(process.getErrorStream()));
    }

    private void readLines(InputStream stream) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                stdout.add(new Line(line, System.nanoTime()));
            }
        } catch (IOException e) {
            // the process was killed while we read
        } finally {
            stdoutDone.complete(null);
        }
    }

    private void readStderr(InputStream stream) {
        try (stream) {
            byte[] buffer = new byte[4096];
            for (int n; (n = stream.read(buffer)) >= 0; ) {
                stderr.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the process was killed while we read
        } finally {
            stderrDone.complete(null);
        }
    }

    /** The complete lines etcdctl printed on stdout so far. */
    public List<String> lines() {
        return stdout.stream().map(Line::text).toList();
    }

    /** As {@link #lines()}, with the time each line arrived. */
    public List<Line> timedLines() {
        return List.copyOf(stdout);
    }

    /** What etcdctl printed on stderr so far. */
    public String stderr() {
        return stderr.toString();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Waits until the lines printed so far satisfy {@code condition}, and returns them.
     *
     * @throws IllegalStateException when the deadline passes, or etcdctl exits without printing them
     */
    public List<String> awaitLines(String what, Duration timeout, Predicate<List<String>> condition) {
        return Await.until(what + " printed by " + command, timeout, () -> {
            boolean exited = !process.isAlive() && stdoutDone.isDone();
            List<String> lines = lines();
            if (condition.test(lines)) {
                return Optional.of(lines);
            }
            if (exited) {
                throw new Await.Abort("etcdctl exited with " + process.exitValue());
            }
            return Optional.empty();
        }, this::toString);
    }

    /** Waits until etcdctl has printed at least {@code count} lines; returns all lines printed by then. */
    public List<String> awaitLineCount(int count, Duration timeout) {
        return awaitLines(count + " lines", timeout, lines -> lines.size() >= count);
    }

    /** Waits until etcdctl exits by itself and all its output is read; returns its exit code. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("still running after " + timeout.toMillis() + " ms: " + this);
            }
            CompletableFuture.allOf(stdoutDone, stderrDone).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + command, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the output of " + command, e);
        }
    }

    /** SIGTERM, as {@code kill <pid>} or a service manager would: etcdctl cancels what it does and exits. */
    public int terminate(Duration timeout) {
        process.destroy();
        return awaitExit(timeout);
    }

    /** SIGKILL of etcdctl and of every process it started (the command of {@code lock name cmd}): a crash. */
    public void kill9() {
        List<ProcessHandle> tree = process.descendants().toList();
        process.destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
        try {
            process.onExit().get(KILL_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
            for (ProcessHandle child : tree) {
                child.onExit().get(KILL_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("still running " + KILL_TIMEOUT.toSeconds() + " s after SIGKILL: "
                    + command, e);
        }
    }

    /** Kills etcdctl and whatever it started, if still running. */
    @Override
    public void close() {
        if (process.isAlive() || process.descendants().findAny().isPresent()) {
            kill9();
        }
    }

    @Override
    public String toString() {
        return command + (process.isAlive() ? " (running)" : " (exit " + process.exitValue() + ")")
                + "\n--- stdout\n" + String.join("\n", lines()) + "\n--- stderr\n" + stderr;
    }
}
