package dev.gantry.job;

import java.time.Instant;

/** Training progress as the agent last parsed it from ms-swift's output; any field may be unknown (null). */
public record Progress(Long step, Long totalSteps, Double percent, Double loss, Long etaSeconds, Instant updatedAt) {
}
