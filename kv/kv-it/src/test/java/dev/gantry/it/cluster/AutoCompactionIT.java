package dev.gantry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * etcd's periodic auto-compaction ({@code --auto-compaction-mode=periodic --auto-compaction-retention=2s}) on a
 * 3-member cluster (the implementation chosen by {@code -Dit.impl}), seen through etcdctl: history older than the
 * retention becomes unreadable ("required revision has been compacted") on every member without anyone
 * compacting, while the latest values stay. Revision mode runs every 5 minutes, as etcd's: its rule is covered by
 * {@code AutoCompactorTest}.
 */
class AutoCompactionIT {
    private static final String COMPACTED = "etcdserver: mvcc: required revision has been compacted";
    private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");

    @Test
    void historyOlderThanTheRetentionIsCompactedAway() {
        try (Cluster cluster = Cluster.start(Implementation.fromSystemProperty(), 3,
                List.of("--auto-compaction-mode=periodic", "--auto-compaction-retention=2s"))) {
            Etcdctl etcdctl = Etcdctl.of(cluster);
            Etcdctl.Result first = etcdctl.run("put", "/auto-compaction/k", "v1", "-w", "json");
            assertThat(first.succeeded()).as("%s", first).isTrue();
            Matcher m = REVISION.matcher(first.stdout());
            assertThat(m.find()).as("a revision in %s", first.stdout()).isTrue();
            long oldRevision = Long.parseLong(m.group(1));
            assertThat(etcdctl.run("put", "/auto-compaction/k", "v2").succeeded()).isTrue();

            for (Member member : cluster.members()) {
                Etcdctl one = Etcdctl.of(member);
                Await.until("revision " + oldRevision + " compacted on " + member.name(), Duration.ofSeconds(30), () -> {
                    Etcdctl.Result old = one.run("get", "/auto-compaction/k", "--rev=" + oldRevision,
                            "--consistency=s");
                    return old.stderr().contains(COMPACTED) ? Optional.of(true) : Optional.empty();
                }, cluster::toString);
                Etcdctl.Result latest = one.run("get", "/auto-compaction/k", "--print-value-only");
                assertThat(latest.stdout().trim()).as("latest value on %s", member.name()).isEqualTo("v2");
            }
        }
    }
}
