package dev.gantry.kv.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.grpc.Status;

class RetryableTest {
    @Test
    void aCallGoesToAnotherMemberWhenItsMemberIsUnavailableOrItsConnectionDied() {
        assertThat(KvClient.retryable(Status.UNAVAILABLE.withDescription("etcdserver: leader changed").asRuntimeException())).isTrue();
        assertThat(KvClient.retryable(Status.UNKNOWN.withDescription("channel closed").asRuntimeException())).isTrue();
    }

    @Test
    void anAnswerOfTheClusterIsNotRetriedElsewhere() {
        assertThat(KvClient.retryable(Status.UNKNOWN.withDescription("etcdserver: request timed out").asRuntimeException())).isFalse();
        assertThat(KvClient.retryable(Status.INVALID_ARGUMENT.withDescription("etcdserver: key is not provided").asRuntimeException()))
                .isFalse();
        assertThat(KvClient.retryable(Status.FAILED_PRECONDITION.withDescription("channel closed").asRuntimeException())).isFalse();
    }
}
