package dev.gantry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The space quota and alarms, with etcdctl 3.4, on a 3-member cluster with a 4 MiB {@code --quota-backend-bytes}
 * (the implementation chosen by {@code -Dit.impl}): with nothing raised, {@code alarm list} is empty and
 * {@code alarm disarm} does nothing. Then a few keys are overwritten with 100 KB values until a put fails: a
 * NOSPACE alarm is listed by every member (and in {@code endpoint status}, and {@code /health} turns false);
 * puts, lease grants and txns with a put fail with etcd's message; reads and deletes work. etcd's runbook
 * (compact, defrag every member, {@code alarm disarm}) brings writes back, and every acknowledged write reads back.
 */
class QuotaIT {
    private static final long QUOTA = 4L * 1024 * 1024;
    private static final String NO_SPACE = "etcdserver: mvcc: database space exceeded";
    private static final String PREFIX = "/quota/";
    private static final int KEYS = 5;
    private static final int VALUE_BYTES = 100_000;
    /** Far more puts than a 4 MiB store holds: the fill must end in NOSPACE well before. */
    private static final int MAX_PUTS = 500;
    private static final Pattern ALARM = Pattern.compile("memberID:(\\d+) alarm:NOSPACE");
    private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");

    @Test
    void aFullStoreRaisesNospaceEverywhereAndEtcdsRunbookBringsWritesBack() {
        try (Cluster cluster = Cluster.start(Implementation.fromSystemProperty(), 3,
                List.of("--quota-backend-bytes=" + QUOTA))) {
            Etcdctl etcdctl = Etcdctl.of(cluster);
            Etcdctl.Result none = etcdctl.run("alarm", "list");
            assertThat(none.succeeded()).as("%s", none).isTrue();
            assertThat(none.stdout()).as("no alarm raised yet").isBlank();
            Etcdctl.Result nothingToDisarm = etcdctl.run("alarm", "disarm");
            assertThat(nothingToDisarm.succeeded()).as("%s", nothingToDisarm).isTrue();
            assertThat(nothingToDisarm.stdout()).isBlank();
            for (Member member : cluster.members()) {
                assertThat(metric(cluster, member, "etcd_server_quota_backend_bytes")).isEqualTo(QUOTA);
            }

            Map<String, String> acknowledged = fillUntilNoSpace(cluster);

            // the alarm is replicated: every member lists it, as raised by one of them
            List<String> memberIds = cluster.members().stream().map(m -> Long.toUnsignedString(m.id())).toList();
            for (Member member : cluster.members()) {
                Etcdctl.Result list = Etcdctl.of(member).run("alarm", "list");
                assertThat(list.succeeded()).as("%s", list).isTrue();
                Matcher alarm = ALARM.matcher(list.stdout());
                assertThat(alarm.find()).as("alarm list on %s: %s", member.name(), list).isTrue();
                assertThat(memberIds).contains(alarm.group(1));
                Etcdctl.Result status = Etcdctl.of(member).run("endpoint", "status");
                assertThat(status.stdout()).as("endpoint status on %s", member.name()).contains("alarm:NOSPACE");
                assertThat(MemberHttp.health(cluster, member)).as("/health on %s", member.name()).contains("\"health\":\"false\"");
            }

            // what would grow the store fails with etcd's message, on every member; reads and deletes work
            for (Member member : cluster.members()) {
                Etcdctl one = Etcdctl.of(member);
                assertFailsWithNoSpace(one.run("put", PREFIX + "refused", "v"));
                assertFailsWithNoSpace(one.run("lease", "grant", "60"));
                assertFailsWithNoSpace(one.runWithStdin("\nput " + PREFIX + "refused v\n\n\n", "txn", "-i"));
            }
            String deleted = PREFIX + "k0";
            Etcdctl.Result get = etcdctl.run("get", deleted, "--print-value-only");
            assertThat(get.stdout().trim()).as("%s", get).isEqualTo(acknowledged.get(deleted));
            Etcdctl.Result del = etcdctl.run("del", deleted);
            assertThat(del.stdout().trim()).as("%s", del).isEqualTo("1");
            acknowledged.remove(deleted);

            // etcd's runbook: compact away the history, defragment every member, disarm
            Etcdctl.Result latest = etcdctl.run("get", PREFIX, "--prefix", "--keys-only", "-w", "json");
            Matcher revision = REVISION.matcher(latest.stdout());
            assertThat(revision.find()).as("a revision in %s", latest).isTrue();
            Etcdctl.Result compacted = etcdctl.run("compact", revision.group(1));
            assertThat(compacted.succeeded()).as("%s", compacted).isTrue();
            for (Member member : cluster.members()) {
                Etcdctl.Result defrag = Etcdctl.of(member).run("defrag");
                assertThat(defrag.stdout()).as("%s", defrag).contains("Finished defragmenting etcd member[");
            }
            Etcdctl.Result disarm = etcdctl.run("alarm", "disarm");
            assertThat(disarm.succeeded()).as("%s", disarm).isTrue();
            assertThat(disarm.stdout()).as("disarm lists what it cleared").containsPattern(ALARM);
            for (Member member : cluster.members()) {
                Etcdctl.Result list = Etcdctl.of(member).run("alarm", "list");
                assertThat(list.stdout()).as("alarm list on %s after disarm", member.name()).isBlank();
                assertThat(MemberHttp.health(cluster, member)).as("/health on %s", member.name()).contains("\"health\":\"true\"");
            }

            Etcdctl.Result put = etcdctl.run("put", PREFIX + "after", "v");
            assertThat(put.succeeded()).as("a put after the runbook: %s", put).isTrue();
            acknowledged.put(PREFIX + "after", "v");
            for (Member member : cluster.members()) {
                assertThat(read(member)).as("what %s holds", member.name()).isEqualTo(acknowledged);
            }
        }
    }

    /**
     * Overwrites {@link #KEYS} keys with 100 KB values, sending each put to the next member, until one fails
     * with NOSPACE; any other failure fails the test. Returns the last acknowledged value of each key.
     */
    private static Map<String, String> fillUntilNoSpace(Cluster cluster) {
        Map<String, String> acknowledged = new LinkedHashMap<>();
        String filler = "x".repeat(VALUE_BYTES);
        for (int i = 0; i < MAX_PUTS; i++) {
            Member member = cluster.members().get(i % cluster.members().size());
            String key = PREFIX + "k" + (i % KEYS);
            String value = i + "-" + filler;
            try {
                KVGrpc.newBlockingStub(member.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                                .setValue(ByteString.copyFromUtf8(value)).build());
                acknowledged.put(key, value);
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).as("put %d refused by %s: %s", i, member.name(), e)
                        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(e.getStatus().getDescription()).isEqualTo(NO_SPACE);
                assertThat(i).as("puts acknowledged before the quota was reached").isGreaterThan(KEYS);
                return acknowledged;
            }
        }
        throw new AssertionError(MAX_PUTS + " puts of " + VALUE_BYTES + " bytes fit in a " + QUOTA + "-byte quota");
    }

    private static void assertFailsWithNoSpace(Etcdctl.Result result) {
        assertThat(result.succeeded()).as("%s", result).isFalse();
        assertThat(result.stderr()).as("%s", result).contains(NO_SPACE);
    }

    /** Every key under the prefix and its value, by a linearizable read on {@code member}. */
    private static Map<String, String> read(Member member) {
        RangeResponse range = KVGrpc.newBlockingStub(member.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(PREFIX))
                        .setRangeEnd(ByteString.copyFromUtf8(PREFIX.substring(0, PREFIX.length() - 1) + "0")).build());
        Map<String, String> values = new LinkedHashMap<>();
        range.getKvsList().forEach(kv -> values.put(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8()));
        return values;
    }

    private long metric(Cluster cluster, Member member, String name) {
        return MemberHttp.metric(cluster, member, name).map(Double::longValue)
                .orElseThrow(() -> new AssertionError(name + " missing from the metrics of " + member.name()));
    }
}
