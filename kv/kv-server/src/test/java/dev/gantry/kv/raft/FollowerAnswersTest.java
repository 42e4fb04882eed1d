package dev.gantry.kv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.gantry.kv.raft.ConvergingLogAppender.FollowerAnswers;

class FollowerAnswersTest {
    @Test
    void ratisDecidesWhileItDoesNotSendFromAboveTheFollowersAnswer() {
        FollowerAnswers answers = new FollowerAnswers();
        for (int i = 0; i < 10; i++) {
            assertThat(answers.nextIndex(333, 333)).isEqualTo(333);
            assertThat(answers.nextIndex(200, 333)).isEqualTo(200);
        }
    }

    @Test
    void theSameLowerAnswerRepeatedWinsOnTheThirdRejection() {
        FollowerAnswers answers = new FollowerAnswers();
        assertThat(answers.nextIndex(1345, 1336)).isEqualTo(1345);
        assertThat(answers.nextIndex(1345, 1336)).isEqualTo(1345);
        assertThat(answers.nextIndex(1345, 1336)).isEqualTo(1336);
        // and again only after another run of the same answer
        assertThat(answers.nextIndex(1345, 1336)).isEqualTo(1345);
    }

    @Test
    void aChangingAnswerStartsTheCountAgain() {
        FollowerAnswers answers = new FollowerAnswers();
        assertThat(answers.nextIndex(1345, 1336)).isEqualTo(1345);
        assertThat(answers.nextIndex(1345, 1336)).isEqualTo(1345);
        assertThat(answers.nextIndex(1345, 1340)).isEqualTo(1345);
        assertThat(answers.nextIndex(1345, 1340)).isEqualTo(1345);
        assertThat(answers.nextIndex(1345, 1340)).isEqualTo(1340);
    }
}
