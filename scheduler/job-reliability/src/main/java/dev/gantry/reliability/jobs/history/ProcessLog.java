package dev.gantry.reliability.jobs.history;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What really runs on the agent hosts: every {@code interval} a sweep reads the process groups alive on this
 * machine ({@code /proc/<pid>/stat}, zombies left out) and, for each agent's work dir, the run directories
 * ({@code tasks/<task>.<attempt>/pid}) whose process group is among them. A run seen alive and then gone is over:
 * a later process group with a recycled id does not bring it back.
 */
public final class ProcessLog implements Runnable {
    private static final Pattern RUN_DIR = Pattern.compile("(.+)\\.(\\d+)");

    private final Map<String, Path> workDirs;
    private final Duration interval;
    private final List<Long> sweepNanos = new ArrayList<>();
    /** Run directory → what was seen of it. */
    private final Map<Path, Seen> seen = new LinkedHashMap<>();
    private final CountDownLatch stop = new CountDownLatch(1);

    private static final class Seen {
        final String node;
        final String taskId;
        final int attempt;
        final long pgid;
        final Set<Integer> gpus;
        final int first;
        int last;
        boolean over;

        Seen(String node, String taskId, int attempt, long pgid, Set<Integer> gpus, int first) {
            this.node = node;
            this.taskId = taskId;
            this.attempt = attempt;
            this.pgid = pgid;
            this.gpus = gpus;
            this.first = first;
            this.last = first;
        }
    }

    /** @param workDirs node id → its agent's {@code --work-dir} */
    public ProcessLog(Map<String, Path> workDirs, Duration interval) {
        this.workDirs = Map.copyOf(workDirs);
        this.interval = interval;
    }

    @Override
    public void run() {
        try {
            do {
                sweep();
            } while (!stop.await(interval.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void stop() {
        stop.countDown();
    }

    /** One look at every host; returns the runs alive in it. */
    public synchronized List<ProcessRun> sweep() {
        int sweep = sweepNanos.size();
        sweepNanos.add(System.nanoTime());
        Set<Long> groups = liveGroups();
        for (Map.Entry<String, Path> host : workDirs.entrySet()) {
            for (Path dir : runDirs(host.getValue().resolve("tasks"))) {
                Seen run = seen.get(dir);
                if (run == null) {
                    Matcher m = RUN_DIR.matcher(dir.getFileName().toString());
                    Long pgid = pid(dir.resolve("pid"));
                    if (!m.matches() || pgid == null || !groups.contains(pgid)) {
                        continue;
                    }
                    seen.put(dir, new Seen(host.getKey(), m.group(1), Integer.parseInt(m.group(2)), pgid, gpus(pgid), sweep));
                } else if (!run.over) {
                    if (groups.contains(run.pgid)) {
                        run.last = sweep;
                    } else {
                        run.over = true;
                    }
                }
            }
        }
        return seen.values().stream().filter(run -> !run.over && run.last == sweep).map(ProcessLog::record).toList();
    }

    /** Every run seen alive so far. */
    public synchronized List<ProcessRun> runs() {
        return seen.values().stream().map(ProcessLog::record).toList();
    }

    /** When each sweep began (the test JVM's monotonic clock), by sweep number. */
    public synchronized List<Long> sweepNanos() {
        return List.copyOf(sweepNanos);
    }

    private static ProcessRun record(Seen run) {
        return new ProcessRun(run.node, run.taskId, run.attempt, run.pgid, run.gpus, run.first, run.last);
    }

    private static List<Path> runDirs(Path tasks) {
        if (!Files.isDirectory(tasks)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(tasks)) {
            return dirs.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            return List.of(); // the agent is creating or a test is deleting it: the next sweep sees it
        }
    }

    private static Long pid(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            return null; // not written yet
        }
    }

    /** The process groups with a live (not zombie) member, from {@code /proc/<pid>/stat}. */
    static Set<Long> liveGroups() {
        Set<Long> groups = new HashSet<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.toList()) {
                if (!proc.getFileName().toString().chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String stat;
                try {
                    stat = Files.readString(proc.resolve("stat"), StandardCharsets.ISO_8859_1);
                } catch (IOException e) {
                    continue; // exited meanwhile
                }
                // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses, so read after the last ')'
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (!fields[0].equals("Z") && !fields[0].equals("X")) {
                    groups.add(Long.parseLong(fields[2]));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: the process sampler needs Linux", e);
        }
        return groups;
    }

    /** The GPU indexes in the group leader's CUDA_VISIBLE_DEVICES (read while it is alive). */
    private static Set<Integer> gpus(long pid) {
        try {
            String environ = Files.readString(Path.of("/proc", String.valueOf(pid), "environ"), StandardCharsets.UTF_8);
            Map<String, String> env = new HashMap<>();
            for (String entry : environ.split("\u0000")) {
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    env.put(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
            Set<Integer> gpus = new HashSet<>();
            for (String index : env.getOrDefault("CUDA_VISIBLE_DEVICES", "").split(",")) {
                if (!index.isBlank()) {
                    gpus.add(Integer.parseInt(index.strip()));
                }
            }
            return Set.copyOf(gpus);
        } catch (IOException | NumberFormatException e) {
            return Set.of(); // gone already: it held nothing long enough to matter
        }
    }
}
