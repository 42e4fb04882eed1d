package dev.gantry.kv.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class LessorTest {
    private long now = 1_000_000_000L;
    private final Lessor lessor = new Lessor(() -> now);

    private void advanceSeconds(double s) {
        now += (long) (s * TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void onlyThePrimaryExpiresLeases() {
        lessor.granted(7, 5);
        advanceSeconds(60);
        assertThat(lessor.expired(100, 0)).isEmpty();
        assertThat(lessor.remainingSeconds(7)).isEqualTo(5); // a follower reports the full TTL
    }

    @Test
    void keepAlivesPostponeExpiryByTheTtl() {
        lessor.promote(0);
        lessor.granted(7, 5);
        advanceSeconds(4);
        assertThat(lessor.renew(7)).isEqualTo(5);
        advanceSeconds(4);
        assertThat(lessor.expired(100, 0)).isEmpty();
        assertThat(lessor.remainingSeconds(7)).isEqualTo(1);
        advanceSeconds(1.01);
        assertThat(lessor.expired(100, TimeUnit.SECONDS.toNanos(7))).containsExactly(7L);
        // its revoke is under way: not proposed again until the retry interval passed
        assertThat(lessor.expired(100, TimeUnit.SECONDS.toNanos(7))).isEmpty();
        advanceSeconds(8);
        assertThat(lessor.expired(100, TimeUnit.SECONDS.toNanos(7))).containsExactly(7L);
    }

    @Test
    void aKeepAliveDoesNotBringBackALeaseWhoseTtlRanOut() {
        lessor.promote(0);
        lessor.granted(7, 5);
        advanceSeconds(5.01);
        assertThat(lessor.expired(100, TimeUnit.SECONDS.toNanos(7))).containsExactly(7L);
        assertThat(lessor.renew(7)).as("its revoke is under way: not found").isZero();
        assertThat(lessor.remainingSeconds(7)).isZero();
        advanceSeconds(8);
        assertThat(lessor.expired(100, TimeUnit.SECONDS.toNanos(7))).as("still expired, revoke proposed again").containsExactly(7L);
    }

    @Test
    void aNewLeaderGivesEveryLeaseItsFullTtlPlusTheElectionTimeout() {
        lessor.reset(Map.of(1L, 10L, 2L, 3L));
        advanceSeconds(100); // however long the old leader had them
        lessor.promote(TimeUnit.SECONDS.toNanos(1));
        advanceSeconds(3.9);
        assertThat(lessor.expired(100, 0)).isEmpty();
        advanceSeconds(0.2);
        assertThat(lessor.expired(100, 0)).containsExactly(2L);
        lessor.demote();
        advanceSeconds(100);
        assertThat(lessor.expired(100, 0)).isEmpty();
    }

    @Test
    void unknownLeasesAnswerAsEtcd() {
        lessor.promote(0);
        assertThat(lessor.renew(42)).isZero();            // LeaseKeepAlive: TTL 0
        assertThat(lessor.remainingSeconds(42)).isEqualTo(-1); // LeaseTimeToLive: TTL -1
        lessor.granted(42, 9_000_000_000L);               // etcd's largest TTL does not overflow the clock
        assertThat(lessor.expired(100, 0)).isEmpty();
        lessor.revoked(42);
        assertThat(lessor.remainingSeconds(42)).isEqualTo(-1);
    }
}
