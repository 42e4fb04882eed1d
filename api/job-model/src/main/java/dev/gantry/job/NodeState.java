package dev.gantry.job;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The value of {@code /config/nodes/<id>}: an operator's decision about a node. No key means schedulable.
 * Cordoned and draining both mean "no new tasks"; a draining node's running tasks finish (Slurm's drain),
 * after which an operator removes or uncordons it.
 */
public record NodeState(State state, String reason, Instant at) {
    public enum State {
        @JsonProperty("cordoned") CORDONED,
        @JsonProperty("draining") DRAINING;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
