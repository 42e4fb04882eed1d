package dev.gantry.reliability.check;

import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.Op;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.gantry.reliability.check.Ops.cas;
import static dev.gantry.reliability.check.Ops.casFailed;
import static dev.gantry.reliability.check.Ops.delete;
import static dev.gantry.reliability.check.Ops.get;
import static dev.gantry.reliability.check.Ops.history;
import static dev.gantry.reliability.check.Ops.put;
import static dev.gantry.reliability.check.Ops.putUnknown;
import static org.assertj.core.api.Assertions.assertThat;

class RegisterCheckerTest {

    private final RegisterChecker checker = new RegisterChecker();

    @Test
    void sequentialHistoryIsLinearizable() {
        assertThat(checker.check(history(
                put(1, 0, 1, "a", null), get(2, 2, 3, "a"), cas(1, 4, 5, "a", "b"),
                casFailed(2, 6, 7, "a", "c", "b"), delete(1, 8, 9, "b"), get(2, 10, 11, null)))).isEmpty();
    }

    @Test
    void concurrentOperationsMayTakeEffectInEitherOrder() {
        // The get overlaps both puts and sees the first; the second put saw the first as its previous value.
        assertThat(checker.check(history(
                put(1, 0, 10, "a", null), put(2, 1, 12, "b", "a"), get(3, 2, 11, "a"), get(3, 13, 14, "b")))).isEmpty();
    }

    @Test
    void staleReadIsFlagged() {
        List<Anomaly> anomalies = checker.check(history(
                put(1, 0, 1, "a", null), put(1, 2, 3, "b", "a"), get(2, 4, 5, "a")));
        assertThat(anomalies).singleElement().satisfies(a -> {
            assertThat(a.checker()).isEqualTo(RegisterChecker.NAME);
            assertThat(a.explanation()).contains("key k: not linearizable").contains("GET k ok(saw \"a\")")
                    .contains("register holds \"b\"");
        });
    }

    @Test
    void lostWriteIsFlagged() {
        // "b" was acknowledged, yet a later read sees the value before it.
        assertThat(checker.check(history(
                put(1, 0, 1, "a", null), put(2, 2, 3, "b", "a"), get(3, 4, 5, "a"), get(3, 6, 7, "a"))))
                .singleElement().extracting(Anomaly::checker).isEqualTo(RegisterChecker.NAME);
    }

    @Test
    void casOnStaleValueIsFlagged() {
        // The CAS claims the register held "a" well after "b" replaced it.
        List<Anomaly> anomalies = checker.check(history(
                put(1, 0, 1, "a", null), put(1, 2, 3, "b", "a"), cas(2, 4, 5, "a", "c")));
        assertThat(anomalies).singleElement().satisfies(a -> assertThat(a.explanation()).contains("CAS k if \"a\" := \"c\""));
    }

    @Test
    void unknownWriteMayHaveHappenedOrNot() {
        // An unknown put that a read saw happened; one nobody saw is as if it never was.
        assertThat(checker.check(history(
                put(1, 0, 1, "a", null), putUnknown(2, 2, "x"), get(3, 5, 6, "x"), putUnknown(2, 7, "y"),
                get(3, 8, 9, "x")))).isEmpty();
        // But an unknown write cannot take effect before it was sent.
        assertThat(checker.check(history(put(1, 0, 1, "a", null), get(3, 2, 3, "x"), putUnknown(2, 5, "x"))))
                .hasSize(1);
    }

    @Test
    void readOfValueNeverWrittenIsFlagged() {
        assertThat(checker.check(history(put(1, 0, 1, "a", null), get(2, 2, 3, "zzz")))).hasSize(1);
    }

    @Test
    void largeConcurrentLinearizableHistoryIsDecidedQuickly() {
        // 8 processes, 4000 operations, generated from a real sequential execution with random overlaps.
        Random random = new Random(42);
        List<Op> ops = new ArrayList<>();
        String state = null;
        long time = 0;
        for (int i = 0; i < 4000; i++) {
            time += 10;
            long inv = time - random.nextInt(30);
            long comp = time + random.nextInt(30);
            int p = i % 8;
            switch (random.nextInt(4)) {
                case 0 -> ops.add(get(p, inv, comp, state));
                case 1 -> {
                    String v = "v" + i;
                    ops.add(put(p, inv, comp, v, state));
                    state = v;
                }
                case 2 -> {
                    ops.add(delete(p, inv, comp, state));
                    state = null;
                }
                default -> {
                    String v = "v" + i;
                    ops.add(cas(p, inv, comp, state, v));
                    state = v;
                }
            }
        }
        History history = history(ops.toArray(Op[]::new));
        long start = System.nanoTime();
        assertThat(checker.check(history)).isEmpty();
        assertThat(System.nanoTime() - start).isLessThan(10_000_000_000L);
    }

    @Test
    void pathologicalHistoryIsReportedTooComplexInsteadOfHanging() {
        // Many fully concurrent unknown CASes plus an impossible read: the bounded search gives up.
        List<Op> ops = new ArrayList<>();
        ops.add(put(0, 0, 1, "v0", null));
        for (int i = 1; i <= 40; i++) {
            ops.add(new Op(i, dev.gantry.reliability.history.OpType.CAS, "k", "v" + i, "v" + (i - 1), null, false,
                    2, Op.NEVER, dev.gantry.reliability.history.Outcome.UNKNOWN, 0, "m1"));
            ops.add(get(100 + i, 3, 1000, "v" + i));
        }
        ops.add(get(999, 3, 1000, "never written"));
        List<Anomaly> anomalies = new RegisterChecker(200_000).check(history(ops.toArray(Op[]::new)));
        assertThat(anomalies).singleElement().satisfies(a -> {
            assertThat(a.checker()).isEqualTo(RegisterChecker.UNDECIDED);
            assertThat(a.explanation()).contains("too complex");
        });
    }
}
