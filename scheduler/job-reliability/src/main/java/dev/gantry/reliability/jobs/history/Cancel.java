package dev.gantry.reliability.jobs.history;

/** One cancel sent through the REST API, and what became of it. */
public record Cancel(String id, Outcome outcome, long atNanos) {
    public enum Outcome {
        /** 200: the job is CANCELLED. */
        CANCELLED,
        /** 409: the job had already ended. */
        REFUSED,
        /** The request failed or timed out: it may or may not have taken effect. */
        UNKNOWN
    }
}
