package dev.gantry.kv.mvcc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.mvcc.KeyValue;
import dev.gantry.kv.api.raft.MemberAttributes;
import dev.gantry.kv.api.raft.MemberSet;

class MvccStoreTest extends StoreFixture {
    @Test
    void emptyStoreIsAtRevisionOne() {
        assertThat(store.revision()).isEqualTo(1);
        long count = store.read(v -> v.range(all(), 0, 10).count());
        assertThat(count).isZero();
    }

    @Test
    void readsAtPastRevisionsSeeEachKeyAsItWasThen() {
        put("a", "1");              // rev 2
        put("b", "1");              // rev 3
        put("a", "2");              // rev 4
        delete("b");                // rev 5
        put("b", "2");              // rev 6

        assertThat(valuesAt(2)).containsExactly("a=1");
        assertThat(valuesAt(3)).containsExactly("a=1", "b=1");
        assertThat(valuesAt(4)).containsExactly("a=2", "b=1");
        assertThat(valuesAt(5)).containsExactly("a=2");
        assertThat(valuesAt(6)).containsExactly("a=2", "b=2");
        KeyValue b = store.read(v -> v.get(bytes("b")));
        assertThat(b.getCreateRevision()).isEqualTo(6);
        assertThat(b.getVersion()).isEqualTo(1);
    }

    @Test
    void historyKeepsKeysThatShareAPrefixOrContainZeroBytesApart() {
        put("a", "x");
        put("a\0", "y");
        put("ab", "z");
        put("a", "x2");
        assertThat(valuesAt(4)).containsExactly("a=x", "a\0=y", "ab=z");
        List<KeyValue> a = store.read(v -> v.range(KeyRange.single(bytes("a")), 4, 10).kvs());
        assertThat(a).extracting(kv -> kv.getValue().toStringUtf8()).containsExactly("x");
    }

    @Test
    void compactionKeepsTheStateAtItsRevisionAndRefusesOlderReads() {
        put("a", "1");              // 2
        put("a", "2");              // 3
        put("b", "1");              // 4
        delete("b");                // 5
        put("c", "1");              // 6
        write(v -> {
            v.compact(5);
            return null;
        });
        assertThat(store.compactRevision()).isEqualTo(5);
        assertThat(valuesAt(5)).containsExactly("a=2");
        assertThat(valuesAt(6)).containsExactly("a=2", "c=1");
        assertThatThrownBy(() -> valuesAt(4)).hasMessage(EtcdError.COMPACTED.message());
        assertThatThrownBy(() -> write(v -> {
            v.compact(5);
            return null;
        })).hasMessage(EtcdError.COMPACTED.message());
        assertThatThrownBy(() -> write(v -> {
            v.compact(7);
            return null;
        })).hasMessage(EtcdError.FUTURE_REV.message());
    }

    @Test
    void anEntryAppliedBeforeIsSkippedWhenReplayed() {
        put("a", "1");
        long applied = store.appliedIndex();
        Object result = store.write(1, applied, v -> v.put(bytes("a"), ByteString.copyFromUtf8("again"), 0));
        assertThat(result).isNull();
        assertThat(store.read(v -> v.get(bytes("a"))).getValue().toStringUtf8()).isEqualTo("1");
        assertThat(store.revision()).isEqualTo(2);
    }

    @Test
    void theAppliedIndexAndRevisionSurviveAReopen() {
        put("a", "1");
        put("b", "2");
        reopen();
        assertThat(store.appliedIndex()).isEqualTo(index);
        assertThat(store.revision()).isEqualTo(3);
        assertThat(valuesAt(0)).containsExactly("a=1", "b=2");
    }

    @Test
    void aDumpRestoresEverythingAtTheGivenIndex() throws Exception {
        put("a", "1");
        put("a", "2");
        delete("a");
        put("b", "1");
        ByteArrayOutputStream dump = new ByteArrayOutputStream();
        store.dump(dump);

        MvccStore other = MvccStore.open(dir.resolve("other"));
        try {
            other.restore(new ByteArrayInputStream(dump.toByteArray()), 7, 42);
            assertThat(other.appliedIndex()).isEqualTo(42);
            assertThat(other.appliedTerm()).isEqualTo(7);
            assertThat(other.revision()).isEqualTo(5);
            List<KeyValue> atThree = other.read(v -> v.range(all(), 3, 10).kvs());
            assertThat(atThree).extracting(kv -> kv.getValue().toStringUtf8()).containsExactly("2");
            List<KeyValue> latest = other.read(v -> v.range(all(), 0, 10).kvs());
            assertThat(latest).extracting(kv -> kv.getKey().toStringUtf8()).containsExactly("b");
        } finally {
            other.close();
        }
    }

    @Test
    void defragmentingGivesBackTheSpaceOfCompactedRevisionsAndKeepsEverythingElse() {
        String big = "x".repeat(100_000);
        for (int i = 0; i < 100; i++) {
            put("k" + (i % 5), big + i);                          // revisions 2..101
        }
        delete("k4");                                            // 102
        write(v -> {
            v.compact(102);
            return null;
        });
        long before = store.diskSize();
        long applied = store.appliedIndex();

        store.defragment();

        assertThat(store.diskSize()).isLessThan(before / 4);
        assertThat(store.appliedIndex()).isEqualTo(applied);
        assertThat(store.revision()).isEqualTo(102);
        assertThat(store.compactRevision()).isEqualTo(102);
        assertThat(valuesAt(0)).containsExactly("k0=" + big + 95, "k1=" + big + 96, "k2=" + big + 97, "k3=" + big + 98);
        assertThatThrownBy(() -> valuesAt(101)).hasMessage(EtcdError.COMPACTED.message());
        put("k5", "after");                                      // the defragmented store takes writes
        assertThat(store.revision()).isEqualTo(103);
        reopen();                                                 // and is what a restart finds
        assertThat(valuesAt(0)).hasSize(5).contains("k5=after");
    }

    @Test
    void aSwapInterruptedBeforeTheNewStoreMovedInKeepsTheOldOne() throws Exception {
        put("a", "1");
        store.close();
        java.nio.file.Files.move(storeDir(), dir.resolve("kv.old"));
        store = MvccStore.open(storeDir());
        assertThat(valuesAt(0)).containsExactly("a=1");
    }

    @Test
    void aSeededStoreKeepsTheKeySpaceAndDropsTheOldClustersRaftPositionAndMembers() throws Exception {
        put("a", "1");
        put("a", "2");
        delete("a");
        put("b", "1");
        write(v -> {
            v.setMembers(MemberSet.newBuilder()
                    .addMembers(MemberAttributes.newBuilder().setName("old")).build());
            return null;
        });
        ByteArrayOutputStream dump = new ByteArrayOutputStream();
        assertThat(store.dump(dump)).isEqualTo(5);

        assertThat(MvccStore.seed(dir.resolve("seeded"), new ByteArrayInputStream(dump.toByteArray()))).isEqualTo(5);
        MvccStore seeded = MvccStore.open(dir.resolve("seeded"));
        try {
            assertThat(seeded.appliedIndex()).isZero();
            assertThat(seeded.appliedTerm()).isZero();
            assertThat(seeded.revision()).isEqualTo(5);
            assertThat(seeded.read(MvccView::members).getMembersList()).isEmpty();
            List<KeyValue> atThree = seeded.read(v -> v.range(all(), 3, 10).kvs());
            assertThat(atThree).extracting(kv -> kv.getValue().toStringUtf8()).containsExactly("2");
            // the new cluster's first entry (Raft index 1) applies on top
            Object applied = seeded.write(1, 1, v -> {
                v.beginCommand();
                v.put(bytes("c"), ByteString.copyFromUtf8("1"), 0);
                v.endCommand();
                return true;
            });
            assertThat(applied).isEqualTo(true);
            assertThat(seeded.revision()).isEqualTo(6);
        } finally {
            seeded.close();
        }
    }

    @Test
    void somethingElseIsRefusedAsNoDump() {
        byte[] notADump = "SQLite format 3\0 and then some".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> MvccStore.seed(dir.resolve("seeded"), new ByteArrayInputStream(notADump)))
                .isInstanceOf(DumpFormat.InvalidDumpException.class)
                .hasMessageContaining("not a Gantry KV snapshot");
    }

    // ---- helpers: one Raft entry per command ----

    private <T> T write(java.util.function.Function<MvccView, T> op) {
        return entry(v -> {
            v.beginCommand();
            T result = op.apply(v);
            v.endCommand();
            return result;
        });
    }

    private void put(String key, String value) {
        write(v -> v.put(bytes(key), ByteString.copyFromUtf8(value), 0));
    }

    private void delete(String key) {
        write(v -> v.delete(KeyRange.single(bytes(key))));
    }

    private List<String> valuesAt(long rev) {
        return store.read(v -> v.range(all(), rev, Integer.MAX_VALUE).kvs()).stream()
                .map(kv -> kv.getKey().toStringUtf8() + "=" + kv.getValue().toStringUtf8())
                .toList();
    }

    private static KeyRange all() {
        return new KeyRange(new byte[]{0}, new byte[]{0});
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
