package dev.gantry.kv.auth;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.auth.Permission;

import static org.assertj.core.api.Assertions.assertThat;

class KeyPermissionsTest {
    private static final String FROM_KEY = "\0";

    @Test
    void aSingleKeyPermissionCoversThatKeyOnly() {
        KeyPermissions p = KeyPermissions.of(List.of(perm(Permission.Type.READ, "/a", "")));

        assertThat(p.permitsRead(b("/a"), b(""))).isTrue();
        assertThat(p.permitsRead(b("/a0"), b(""))).as("a longer key").isFalse();
        assertThat(p.permitsRead(b("/"), b(""))).as("a shorter key").isFalse();
        assertThat(p.permitsRead(b("/a"), b("/a\0"))).as("the range of exactly that key").isTrue();
        assertThat(p.permitsRead(b("/a"), b("/b"))).as("a range beyond it").isFalse();
    }

    @Test
    void aPrefixPermissionCoversEveryKeyAndSubrangeUnderThePrefixButNotThePrefixsParent() {
        KeyPermissions p = KeyPermissions.of(List.of(perm(Permission.Type.READ, "/app/", "/app0")));

        assertThat(p.permitsRead(b("/app/"), b(""))).isTrue();
        assertThat(p.permitsRead(b("/app/x/y"), b(""))).isTrue();
        assertThat(p.permitsRead(b("/app/"), b("/app0"))).as("the whole prefix").isTrue();
        assertThat(p.permitsRead(b("/app/m"), b("/app/n"))).as("a range inside").isTrue();
        assertThat(p.permitsRead(b("/app"), b("/app0"))).as("the prefix without its slash").isFalse();
        assertThat(p.permitsRead(b("/app"), b(""))).isFalse();
        assertThat(p.permitsRead(b("/app0"), b(""))).as("the range end is excluded").isFalse();
        assertThat(p.permitsRead(b("/app/"), b(FROM_KEY))).as("from the prefix to the end of the key space").isFalse();
    }

    @Test
    void aFromKeyPermissionCoversEveryKeyFromItsKeyOn() {
        KeyPermissions p = KeyPermissions.of(List.of(perm(Permission.Type.READ, "/z", FROM_KEY)));

        assertThat(p.permitsRead(b("/z"), b(""))).isTrue();
        assertThat(p.permitsRead(b("\u007f\u007f"), b(""))).isTrue();
        assertThat(p.permitsRead(b("/z"), b(FROM_KEY))).as("from-key from its own key").isTrue();
        assertThat(p.permitsRead(b("/zz"), b(FROM_KEY))).as("from-key from a later key").isTrue();
        assertThat(p.permitsRead(b("/y"), b(FROM_KEY))).as("from-key from an earlier key").isFalse();
        assertThat(p.permitsRead(b("\0"), b(FROM_KEY))).as("every key (etcdctl get '' --from-key)").isFalse();
        assertThat(p.permitsRead(b("/y"), b(""))).isFalse();
    }

    @Test
    void onlyAPermissionFromTheEmptyKeyCoversTheWholeKeySpace() {
        KeyPermissions all = KeyPermissions.of(List.of(perm(Permission.Type.READ, "", FROM_KEY)));
        KeyPermissions fromNul = KeyPermissions.of(List.of(perm(Permission.Type.READ, "\0", FROM_KEY)));

        assertThat(all.permitsRead(b("\0"), b(FROM_KEY))).isTrue();
        assertThat(fromNul.permitsRead(b("\0"), b(FROM_KEY))).isTrue();
        assertThat(fromNul.permitsRead(b("a"), b(""))).isTrue();
    }

    @Test
    void readAndWriteAreSeparateAndReadWriteGrantsBoth() {
        KeyPermissions p = KeyPermissions.of(List.of(
                perm(Permission.Type.READ, "/r", ""),
                perm(Permission.Type.WRITE, "/w", ""),
                perm(Permission.Type.READWRITE, "/rw/", "/rw0")));

        assertThat(p.permitsRead(b("/r"), b(""))).isTrue();
        assertThat(p.permitsWrite(b("/r"), b(""))).isFalse();
        assertThat(p.permitsWrite(b("/w"), b(""))).isTrue();
        assertThat(p.permitsRead(b("/w"), b(""))).isFalse();
        assertThat(p.permitsRead(b("/rw/k"), b(""))).isTrue();
        assertThat(p.permitsWrite(b("/rw/k"), b(""))).isTrue();
    }

    @Test
    void aRangeMaySpanAdjoiningAndOverlappingPermissionsButNotAGap() {
        KeyPermissions p = KeyPermissions.of(List.of(
                perm(Permission.Type.WRITE, "a", "c"),
                perm(Permission.Type.WRITE, "c", "e"),   // adjoins [a, c)
                perm(Permission.Type.WRITE, "d", "f"),   // overlaps [c, e)
                perm(Permission.Type.WRITE, "g", "h"))); // after a gap [f, g)

        assertThat(p.permitsWrite(b("a"), b("f"))).isTrue();
        assertThat(p.permitsWrite(b("b"), b("e"))).isTrue();
        assertThat(p.permitsWrite(b("a"), b("h"))).as("across the gap").isFalse();
        assertThat(p.permitsWrite(b("f"), b(""))).isFalse();
        assertThat(p.permitsWrite(b("g"), b("h"))).isTrue();
    }

    @Test
    void anEmptyOrInvertedRangeIsRefused() {
        KeyPermissions p = KeyPermissions.of(List.of(perm(Permission.Type.READ, "", FROM_KEY)));

        assertThat(p.permitsRead(b("b"), b("a"))).isFalse();
        assertThat(p.permitsRead(b("b"), b("b"))).isFalse();
    }

    @Test
    void noPermissionsPermitNothing() {
        KeyPermissions none = KeyPermissions.of(List.of());

        assertThat(none.permitsRead(b("a"), b(""))).isFalse();
        assertThat(none.permitsWrite(b("a"), b(""))).isFalse();
    }

    private static Permission perm(Permission.Type type, String key, String rangeEnd) {
        return Permission.newBuilder().setPermType(type).setKey(b(key)).setRangeEnd(b(rangeEnd)).build();
    }

    private static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }
}
