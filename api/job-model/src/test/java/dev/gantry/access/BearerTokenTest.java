package dev.gantry.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.job.Json;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BearerTokenTest {
    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    @Test
    void aTokenParsesBackAndMatchesOnlyItsOwnRecord() {
        BearerToken bearer = BearerToken.generate();
        assertThat(bearer.text()).matches("gantry_[a-z0-9]{12}\\.[A-Za-z0-9_-]{43}");
        assertThat(BearerToken.parse(" " + bearer.text() + "\n")).contains(bearer);
        ApiToken stored = bearer.record("alice", Role.SUBMITTER, NOW, null);
        assertThat(stored.matches(bearer.secret())).isTrue();
        assertThat(stored.matches(BearerToken.generate().secret())).isFalse();
        assertThat(Json.write(stored)).doesNotContain(bearer.secret()).contains("\"role\":\"submitter\"");
        assertThat(Json.read(Json.write(stored), ApiToken.class)).isEqualTo(stored);
        assertThat(bearer.toString()).doesNotContain(bearer.secret());
    }

    @Test
    void otherTextIsNotAToken() {
        String valid = BearerToken.generate().text();
        for (String text : new String[] {null, "", "gantry_", valid.substring(1), valid + "x", valid.replace('.', '_'),
                "Bearer " + valid, valid.toUpperCase()}) {
            assertThat(BearerToken.parse(text)).as(String.valueOf(text)).isEmpty();
        }
    }

    @Test
    void expiryIsTheInstantItself() {
        ApiToken token = BearerToken.generate().record("ci", Role.VIEWER, NOW, NOW.plusSeconds(60));
        assertThat(token.expired(NOW.plusSeconds(59))).isFalse();
        assertThat(token.expired(NOW.plusSeconds(60))).isTrue();
        assertThat(BearerToken.generate().record("ci", Role.VIEWER, NOW, null).expired(Instant.MAX)).isFalse();
    }

    @Test
    void rolesIncludeTheOnesBeforeThemAndParseByLabelOnly() {
        assertThat(Role.ADMIN.includes(Role.OPERATOR)).isTrue();
        assertThat(Role.SUBMITTER.includes(Role.VIEWER)).isTrue();
        assertThat(Role.SUBMITTER.includes(Role.OPERATOR)).isFalse();
        assertThat(Role.parse("operator")).isEqualTo(Role.OPERATOR);
        assertThatThrownBy(() -> Role.parse("OPERATOR")).hasMessage("unknown role 'OPERATOR': one of viewer, submitter, operator, admin");
    }
}
