package dev.gantry.reliability.check;

import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.LeaseLog;
import dev.gantry.reliability.history.Op;
import dev.gantry.reliability.history.OpType;
import dev.gantry.reliability.history.Outcome;
import dev.gantry.reliability.history.WatchEvent;
import dev.gantry.reliability.history.WatchLog;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OtherCheckersTest {

    private static final WatchEvent E2 = new WatchEvent(2, "k1", false, "a");
    private static final WatchEvent E3A = new WatchEvent(3, "k1", false, "b");
    private static final WatchEvent E3B = new WatchEvent(3, "k2", false, "c");
    private static final WatchEvent E4 = new WatchEvent(4, "k1", true, null);
    private static final List<WatchEvent> REFERENCE = List.of(E2, E3A, E3B, E4);

    private static List<Anomaly> watch(long start, List<List<WatchEvent>> responses) {
        return new WatchChecker().check(REFERENCE, List.of(WatchLog.of("w", start, responses)));
    }

    @Test
    void completeOrderedWatchPasses() {
        assertThat(watch(2, List.of(List.of(E2), List.of(E3A, E3B), List.of(E4)))).isEmpty();
        assertThat(watch(3, List.of(List.of(E3A, E3B, E4)))).isEmpty();
    }

    @Test
    void outOfOrderEventsAreFlagged() {
        assertThat(watch(2, List.of(List.of(E3A, E3B), List.of(E2), List.of(E4))))
                .singleElement().satisfies(a -> assertThat(a.explanation()).contains("out of order: rev 2 PUT k1"));
    }

    @Test
    void duplicateEventsAreFlagged() {
        assertThat(watch(2, List.of(List.of(E2), List.of(E3A, E3B), List.of(E3A, E3B), List.of(E4))))
                .singleElement().satisfies(a -> assertThat(a.explanation()).contains("duplicate: rev 3 PUT k1"));
    }

    @Test
    void gapIsFlagged() {
        assertThat(watch(2, List.of(List.of(E2), List.of(E4))))
                .singleElement().satisfies(a -> assertThat(a.explanation()).contains("gap: missed rev 3 PUT k1=\"b\""));
    }

    @Test
    void revisionSplitOverResponsesIsFlagged() {
        assertThat(watch(2, List.of(List.of(E2, E3A), List.of(E3B, E4))))
                .singleElement().satisfies(a -> assertThat(a.explanation()).contains("not atomic: the events of rev 3"));
    }

    @Test
    void wrongEventAndStalledWatcherAreFlagged() {
        assertThat(watch(2, List.of(List.of(new WatchEvent(2, "k1", false, "zzz")))))
                .singleElement().satisfies(a -> assertThat(a.explanation())
                        .contains("wrong event: got rev 2 PUT k1=\"zzz\", the history has rev 2 PUT k1=\"a\"")
                        .contains("stalled: saw events up to rev 2, the history goes to rev 4"));
    }

    @Test
    void compactedWatchMustBeCancelledWithTheCompactRevision() {
        WatchChecker checker = new WatchChecker();
        assertThat(checker.checkCancel("m1", 1, 3, true, 3, List.of())).isEmpty();
        assertThat(checker.checkCancel("m1", 1, 3, false, 0, List.of(E3A))).singleElement()
                .satisfies(a -> assertThat(a.explanation()).contains("no cancel after events"));
    }

    @Test
    void revisionGoingBackwardsOnAMemberIsFlagged() {
        RevisionChecker checker = new RevisionChecker();
        assertThat(checker.checkMembers(Map.of("m1", List.of(1L, 5L, 5L, 9L)))).isEmpty();
        assertThat(checker.checkMembers(Map.of("m1", List.of(1L, 5L, 4L, 9L)))).singleElement()
                .satisfies(a -> assertThat(a.explanation()).contains("member m1 went back from rev 5 to rev 4"));
    }

    @Test
    void revisionGoingBackwardsInRealTimeIsFlagged() {
        History history = new History();
        history.add(new Op(1, OpType.PUT, "k", "a", null, null, false, 0, 10, Outcome.OK, 7, "m1"));
        history.add(new Op(2, OpType.GET, "k", null, null, "a", false, 5, 30, Outcome.OK, 6, "m2")); // concurrent: fine
        assertThat(new RevisionChecker().checkRealTime(history)).isEmpty();
        history.add(new Op(2, OpType.GET, "k", null, null, null, false, 20, 30, Outcome.OK, 6, "m3"));
        assertThat(new RevisionChecker().checkRealTime(history)).singleElement()
                .satisfies(a -> assertThat(a.explanation()).contains("revision went backwards in real time"));
    }

    @Test
    void acknowledgedWriteMissingFromTheHistoryIsFlagged() {
        History history = new History();
        history.add(new Op(1, OpType.PUT, "k1", "a", null, null, false, 0, 1, Outcome.OK, 2, "m1"));
        history.add(new Op(1, OpType.DELETE, "k1", null, null, "b", false, 0, 1, Outcome.OK, 4, "m1"));
        assertThat(new LostWriteChecker().check(history, REFERENCE)).isEmpty();
        history.add(new Op(2, OpType.CAS, "k2", "d", "c", "c", true, 2, 3, Outcome.OK, 5, "m2"));
        assertThat(new LostWriteChecker().check(history, REFERENCE)).singleElement()
                .satisfies(a -> assertThat(a.explanation()).contains("expected rev 5 PUT k2=\"d\", found nothing"));
    }

    @Test
    void differingHashesAreFlagged() {
        HashChecker checker = new HashChecker();
        assertThat(checker.check(9, Map.of("m1", new HashChecker.MemberHash(9, 42, 0),
                "m2", new HashChecker.MemberHash(9, 42, 0)))).isEmpty();
        assertThat(checker.check(9, Map.of("m1", new HashChecker.MemberHash(9, 42, 0),
                "m2", new HashChecker.MemberHash(9, 43, 0)))).hasSize(1);
    }

    @Test
    void leaseKeyGoneBeforeExpiryIsFlagged() {
        long second = 1_000_000_000L;
        LeaseLog lease = new LeaseLog(0xabc, 2, 0);
        lease.keyPut("l1", second / 10);
        lease.keptAlive(second, 2); // alive until at least 3 s
        lease.observed(new LeaseLog.Observation("l1", 2 * second, (long) (2.1 * second), true));
        lease.observed(new LeaseLog.Observation("l1", 3 * second, (long) (3.5 * second), false)); // after expiry: fine
        assertThat(new LeaseChecker().check(List.of(lease), 0)).isEmpty();
        lease.observed(new LeaseLog.Observation("l1", (long) (2.2 * second), (long) (2.5 * second), false));
        assertThat(new LeaseChecker().check(List.of(lease), 0)).singleElement()
                .satisfies(a -> assertThat(a.explanation()).contains("key l1 of lease abc").contains("was gone at 2.500s"));
        LeaseLog revoked = new LeaseLog(0xdef, 2, 0);
        revoked.keyPut("l2", second / 10);
        revoked.revoking(second / 2);
        revoked.observed(new LeaseLog.Observation("l2", second, (long) (1.1 * second), false));
        assertThat(new LeaseChecker().check(List.of(revoked), 0)).isEmpty();
    }
}
