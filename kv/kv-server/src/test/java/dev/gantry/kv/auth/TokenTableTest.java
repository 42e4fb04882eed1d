package dev.gantry.kv.auth;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.gantry.kv.api.raft.RequestAuth;

import static org.assertj.core.api.Assertions.assertThat;

class TokenTableTest {
    private final AtomicLong now = new AtomicLong();
    private final TokenTable tokens = new TokenTable(3, Duration.ofSeconds(300), now::get);

    @Test
    void anIssuedTokenNamesItsUserWithTheRevisionOfNow() {
        tokens.apply(List.of(TokenChange.issued("alice", TokenTable.sha256("t1"))), 4);

        assertThat(tokens.lookup("t1")).contains(RequestAuth.newBuilder().setUser("alice").setRevision(4).build());
        assertThat(tokens.lookup("t2")).isEmpty();
    }

    @Test
    void aTokenExpiresAfterItsTtlWithoutUseAndEachUseExtendsIt() {
        tokens.apply(List.of(TokenChange.issued("alice", TokenTable.sha256("t1"))), 3);
        now.addAndGet(Duration.ofSeconds(200).toNanos());
        assertThat(tokens.lookup("t1")).isPresent();
        now.addAndGet(Duration.ofSeconds(200).toNanos());
        assertThat(tokens.lookup("t1")).as("used 200 s ago").isPresent();
        now.addAndGet(Duration.ofSeconds(301).toNanos());

        assertThat(tokens.lookup("t1")).isEmpty();
    }

    @Test
    void revokingAUserDropsOnlyItsTokensAndRevokingAllDropsEvery() {
        tokens.apply(List.of(TokenChange.issued("alice", TokenTable.sha256("a1")),
                TokenChange.issued("alice", TokenTable.sha256("a2")),
                TokenChange.issued("bob", TokenTable.sha256("b1"))), 3);

        tokens.apply(List.of(TokenChange.userRevoked("alice")), 4);
        assertThat(tokens.lookup("a1")).isEmpty();
        assertThat(tokens.lookup("a2")).isEmpty();
        assertThat(tokens.lookup("b1")).map(RequestAuth::getRevision).contains(4L);

        tokens.apply(List.of(TokenChange.allRevoked()), 5);
        assertThat(tokens.lookup("b1")).isEmpty();
    }

    @Test
    void expiringFreesTheTokensPastTheirTtl() {
        tokens.apply(List.of(TokenChange.issued("alice", TokenTable.sha256("old"))), 3);
        now.addAndGet(Duration.ofSeconds(250).toNanos());
        tokens.apply(List.of(TokenChange.issued("alice", TokenTable.sha256("new"))), 3);
        now.addAndGet(Duration.ofSeconds(100).toNanos());

        tokens.expire();

        assertThat(tokens.size()).isEqualTo(1);
        assertThat(tokens.lookup("new")).isPresent();
    }

    @Test
    void onlyDigestsAreKept() {
        assertThat(TokenTable.sha256("secret").size()).isEqualTo(32);
        assertThat(TokenTable.sha256("secret").toStringUtf8()).doesNotContain("secret");
    }
}
