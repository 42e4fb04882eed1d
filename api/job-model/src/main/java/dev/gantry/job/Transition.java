package dev.gantry.job;

import java.time.Instant;

/** One entry of a task's timeline: a status change, why, and on which node and attempt. {@code from} is null for the submission. */
public record Transition(Instant at, TaskStatus from, TaskStatus to, String reason, String node, int attempt) {
}
