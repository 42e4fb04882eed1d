package dev.gantry.kv.cluster;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.List;

/**
 * etcd-style uint64 identities: a member ID derived from its name, peer URLs and the cluster token, and a
 * cluster ID derived from the token and the member IDs of the initial cluster. Every member computes the
 * same values from the same {@code --initial-cluster}, without talking to the others.
 */
public final class MemberId {
    private MemberId() {
    }

    public static long of(String name, List<URI> peerUrls, String clusterToken) {
        StringBuilder s = new StringBuilder("member\n").append(clusterToken).append('\n').append(name);
        peerUrls.stream().map(URI::toString).sorted().forEach(u -> s.append('\n').append(u));
        return hash(s.toString());
    }

    /** The ID of a member added to a running cluster: unique by peer URLs and the time it was added, as etcd's. */
    public static long added(List<String> peerUrls, String clusterToken, long addedAtMillis) {
        StringBuilder s = new StringBuilder("added\n").append(clusterToken).append('\n').append(addedAtMillis);
        peerUrls.stream().sorted().forEach(u -> s.append('\n').append(u));
        return hash(s.toString());
    }

    public static long cluster(String clusterToken, Collection<Long> memberIds) {
        StringBuilder s = new StringBuilder("cluster\n").append(clusterToken);
        memberIds.stream().sorted(Long::compareUnsigned).forEach(id -> s.append('\n').append(Long.toUnsignedString(id)));
        return hash(s.toString());
    }

    public static String hex(long id) {
        return Long.toHexString(id);
    }

    private static long hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (d[i] & 0xFF);
            }
            return v == 0 ? 1 : v; // 0 means "none" in etcd's API
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
