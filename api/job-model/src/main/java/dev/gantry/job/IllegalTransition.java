package dev.gantry.job;

/** A status change the lifecycle does not allow; its message is fit to return to a client (as a 409). */
public final class IllegalTransition extends RuntimeException {
    public IllegalTransition(String taskId, TaskStatus from, TaskStatus to) {
        super("task " + taskId + " is " + from + (from.isTerminal() ? " (final)" : "") + "; it cannot become " + to);
    }
}
