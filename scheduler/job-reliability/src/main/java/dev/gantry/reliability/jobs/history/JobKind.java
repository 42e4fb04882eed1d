package dev.gantry.reliability.jobs.history;

import java.util.List;

/**
 * The jobs a run submits: commands of a few seconds that exit 0 or 3, one that reports training progress the way
 * ms-swift prints it (so its agent writes progress through fenced txns while it runs), long ones meant to be
 * cancelled, and one no node can ever run (more GPUs than any node has), which must stay PENDING with a reason.
 */
public enum JobKind {
    SUCCEEDS(0, List.of("bash", "-c", "sleep 2")),
    FAILS(3, List.of("bash", "-c", "sleep 1; echo 'RuntimeError: the test job was told to fail' >&2; exit 3")),
    PROGRESS(0, List.of("bash", "-c", "for i in 1 2 3 4 5 6; do sleep 0.5; "
            + "echo \"{'loss': 0.5, 'global_step/max_steps': '$i/6'}\"; done")),
    LONG(0, List.of("bash", "-c", "sleep 12")),
    UNPLACEABLE(0, List.of("bash", "-c", "sleep 1"));

    private final int exitCode;
    private final List<String> command;

    JobKind(int exitCode, List<String> command) {
        this.exitCode = exitCode;
        this.command = command;
    }

    /** What its command exits with when it runs to its end. */
    public int exitCode() {
        return exitCode;
    }

    public List<String> command() {
        return command;
    }

    /** Whether some node can run it: all but {@link #UNPLACEABLE}. */
    public boolean placeable() {
        return this != UNPLACEABLE;
    }
}
