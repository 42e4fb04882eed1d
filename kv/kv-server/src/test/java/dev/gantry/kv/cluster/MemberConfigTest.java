package dev.gantry.kv.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class MemberConfigTest {
    @Test
    void theQuotaDefaultsToEtcdsTwoGibibytesAlsoWhenGivenAsZero() {
        assertThat(MemberConfig.defaults().quotaBackendBytes()).isEqualTo(2L * 1024 * 1024 * 1024);
        assertThat(MemberConfig.parse(Map.of("quota-backend-bytes", "0")).quotaBackendBytes()).isEqualTo(2L * 1024 * 1024 * 1024);
        assertThat(MemberConfig.parse(Map.of("quota-backend-bytes", "8589934592")).quotaBackendBytes()).isEqualTo(8589934592L);
    }

    @Test
    void aNegativeOrNonNumericQuotaIsRefused() {
        assertThatThrownBy(() -> MemberConfig.parse(Map.of("quota-backend-bytes", "-1")))
                .hasMessageContaining("--quota-backend-bytes").hasMessageContaining("-1");
        assertThatThrownBy(() -> MemberConfig.parse(Map.of("quota-backend-bytes", "2GB")))
                .hasMessageContaining("--quota-backend-bytes").hasMessageContaining("2GB");
    }
}
