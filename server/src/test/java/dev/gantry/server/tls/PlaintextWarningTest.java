package dev.gantry.server.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import org.junit.jupiter.api.Test;

/** Which listeners the start-up log warns about: plain http that other machines can reach. */
class PlaintextWarningTest {
    @Test
    void plainHttpOnAnAddressOtherMachinesReachIsExposed() {
        assertThat(PlaintextWarning.exposedInPlaintext(URI.create("http://0.0.0.0:2379"))).isTrue();
        assertThat(PlaintextWarning.exposedInPlaintext(URI.create("http://[::]:2379"))).isTrue();
        assertThat(PlaintextWarning.exposedInPlaintext(URI.create("http://10.0.0.1:2380"))).isTrue();
    }

    @Test
    void loopbackAndHttpsAreNot() {
        assertThat(PlaintextWarning.exposedInPlaintext(URI.create("http://localhost:2379"))).isFalse();
        assertThat(PlaintextWarning.exposedInPlaintext(URI.create("http://127.0.0.1:2379"))).isFalse();
        assertThat(PlaintextWarning.exposedInPlaintext(URI.create("http://[::1]:2379"))).isFalse();
        assertThat(PlaintextWarning.exposedInPlaintext(URI.create("https://0.0.0.0:2379"))).isFalse();
    }
}
