package dev.gantry.reliability.check;

import dev.gantry.reliability.history.History;
import dev.gantry.reliability.history.Op;
import dev.gantry.reliability.history.OpType;
import dev.gantry.reliability.history.Outcome;
import dev.gantry.reliability.history.WatchEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ResolutionTest {

    private static Op ok(OpType type, String value, String observed, long inv, long comp, long rev) {
        return new Op(1, type, "k", value, null, observed, false, inv, comp, Outcome.OK, rev, "m1");
    }

    private static Op unknown(OpType type, String value, long inv) {
        return new Op(2, type, "k", value, null, null, false, inv, Op.NEVER, Outcome.UNKNOWN, 0, "m1");
    }

    @Test
    void unknownWritesAreResolvedByTheReferenceHistory() {
        History history = new History();
        history.add(ok(OpType.PUT, "a", null, 0, 10, 2));
        history.add(unknown(OpType.PUT, "x", 20));     // in the reference at rev 3: happened before t=40
        history.add(unknown(OpType.PUT, "never", 21)); // not in the reference: never happened
        history.add(unknown(OpType.DELETE, null, 22)); // no unaccounted delete: changed nothing
        history.add(ok(OpType.GET, null, "x", 30, 40, 3));
        List<WatchEvent> reference = List.of(new WatchEvent(2, "k", false, "a"), new WatchEvent(3, "k", false, "x"));
        assertThat(new RegisterChecker().check(history, reference)).isEmpty();
        assertThat(Resolution.resolve(history, reference).get("k")).hasSize(3)
                .anySatisfy(op -> assertThat(op.value()).isEqualTo("x"));
    }

    @Test
    void aResolvedWriteCannotTakeEffectAfterItWasObservedGone() {
        // "x" happened (rev 3) and a read at rev 3 saw it, but a later read at rev 3 sees "a" again: a stale read.
        History history = new History();
        history.add(ok(OpType.PUT, "a", null, 0, 10, 2));
        history.add(unknown(OpType.PUT, "x", 20));
        history.add(ok(OpType.GET, null, "x", 30, 40, 3));
        history.add(ok(OpType.GET, null, "a", 50, 60, 3));
        List<WatchEvent> reference = List.of(new WatchEvent(2, "k", false, "a"), new WatchEvent(3, "k", false, "x"));
        assertThat(new RegisterChecker().check(history, reference)).singleElement()
                .extracting(Anomaly::checker).isEqualTo(RegisterChecker.NAME);
    }
}
