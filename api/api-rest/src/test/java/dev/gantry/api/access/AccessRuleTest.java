package dev.gantry.api.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.access.Role;
import org.junit.jupiter.api.Test;

class AccessRuleTest {
    @Test
    void readsAreAViewersSubmittingAndCancellingASubmittersOperatingAnOperatorsTheRestAnAdmins() {
        assertThat(AccessRule.required("GET", "/api/v1/jobs")).isEqualTo(Role.VIEWER);
        assertThat(AccessRule.required("GET", "/api/v1/jobs/x/logs")).isEqualTo(Role.VIEWER);
        assertThat(AccessRule.required("GET", "/api/v1/events")).isEqualTo(Role.VIEWER);
        assertThat(AccessRule.required("GET", "/api/v1/session")).isEqualTo(Role.VIEWER);
        assertThat(AccessRule.required("POST", "/api/v1/jobs")).isEqualTo(Role.SUBMITTER);
        assertThat(AccessRule.required("POST", "/api/v1/jobs/x/cancel")).isEqualTo(Role.SUBMITTER);
        assertThat(AccessRule.required("POST", "/api/v1/jobs/x/y/cancel")).isEqualTo(Role.ADMIN);
        assertThat(AccessRule.required("POST", "/api/v1/nodes/n1/drain")).isEqualTo(Role.OPERATOR);
        assertThat(AccessRule.required("PUT", "/api/v1/config/limits")).isEqualTo(Role.OPERATOR);
        assertThat(AccessRule.required("GET", "/api/v1/secrets")).isEqualTo(Role.OPERATOR);
        assertThat(AccessRule.required("PUT", "/api/v1/secrets/hf")).isEqualTo(Role.OPERATOR);
        assertThat(AccessRule.required("DELETE", "/api/v1/jobs/x")).isEqualTo(Role.ADMIN);
        assertThat(AccessRule.required("POST", "/api/v1/nodesx")).isEqualTo(Role.ADMIN);
    }

    @Test
    void theConsolesFilesHealthMetricsAndSigningInNeedNoToken() {
        assertThat(AccessRule.required("GET", "/")).isNull();
        assertThat(AccessRule.required("GET", "/console/main.js")).isNull();
        assertThat(AccessRule.required("GET", "/health")).isNull();
        assertThat(AccessRule.required("GET", "/metrics")).isNull();
        assertThat(AccessRule.required("POST", "/api/v1/session")).isNull();
        assertThat(AccessRule.required("DELETE", "/api/v1/session")).isNull();
    }
}
