package dev.gantry.kv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

class AppliedIndexTest {
    private final AppliedIndex applied = new AppliedIndex();

    @Test
    void aReaderWaitsUntilItsIndexIsApplied() {
        applied.advance(4);
        CompletableFuture<Void> atFive = applied.reach(5);
        CompletableFuture<Void> atSeven = applied.reach(7);

        assertThat(applied.reach(4)).isDone();
        assertThat(atFive).isNotDone();

        applied.advance(5);
        assertThat(atFive).isDone();
        assertThat(atSeven).isNotDone();

        applied.advance(9); // a snapshot installed, or a batch of entries applied at once
        assertThat(atSeven).isDone();
        assertThat(applied.get()).isEqualTo(9);
    }

    @Test
    void neverMovesBack() {
        applied.advance(10);
        applied.advance(3); // the latest snapshot's index, set again after a restart that found the store ahead
        assertThat(applied.get()).isEqualTo(10);
        assertThat(applied.reach(8)).isDone();
    }
}
