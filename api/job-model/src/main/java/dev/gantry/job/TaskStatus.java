package dev.gantry.job;

/** Where a task is in its lifecycle; {@link Lifecycle} holds the rules for moving between them. */
public enum TaskStatus {
    PENDING, SCHEDULED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    /** SUCCEEDED, FAILED and CANCELLED are final. */
    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
