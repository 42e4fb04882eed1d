package dev.gantry.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

class AgentTest {
    @Test
    void theLogUrlNamesTheHostWhenListeningEverywhereAndTheAddressOtherwise() {
        assertThat(Agent.defaultUrl(new InetSocketAddress("0.0.0.0", 2390), "gpu-7.example", 2390)).isEqualTo("http://gpu-7.example:2390");
        assertThat(Agent.defaultUrl(new InetSocketAddress("127.0.0.1", 0), "gpu-7", 41000)).isEqualTo("http://127.0.0.1:41000");
        assertThat(Agent.defaultUrl(new InetSocketAddress("::1", 0), "gpu-7", 41000)).isEqualTo("http://[0:0:0:0:0:0:0:1]:41000");
    }
}
