package dev.gantry.reliability.jobs.history;

/**
 * One event of the recorded key space: a put (a new version of the key, with its value and lease) or a delete, at
 * its revision, with when the recorder received it (the test JVM's monotonic clock: an upper bound of when it
 * happened).
 */
public record KeyVersion(String key, long revision, boolean deleted, String value, long lease, long observedNanos) {
}
