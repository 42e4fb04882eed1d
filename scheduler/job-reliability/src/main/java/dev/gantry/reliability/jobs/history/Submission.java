package dev.gantry.reliability.jobs.history;

/**
 * One job submitted through the REST API: its unique name, what it runs, and the id the API answered with;
 * {@code id} is null when the outcome is unknown (the request failed or timed out: the job may or may not exist).
 */
public record Submission(String name, JobKind kind, int gpus, int maxRetries, String id, long atNanos) {
    public boolean acknowledged() {
        return id != null;
    }
}
