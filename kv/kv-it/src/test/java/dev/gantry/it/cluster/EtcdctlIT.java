package dev.gantry.it.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.gantry.it.cluster.Etcdctl.Result;
import dev.gantry.kv.api.etcd.MemberListResponse;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.mvcc.KeyValue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real etcdctl 3.4 against a 3-member cluster of real processes (the implementation chosen by
 * {@code -Dit.impl}), asserting what etcdctl prints: what an operator sees. Run with {@code -Dit.impl=etcd} it shows
 * that every assertion is etcd's behaviour; with Gantry (the default) that Gantry behaves the same.
 *
 * <p>Writes go through one follower and reads through the other, so followers must forward writes and serve
 * linearizable reads. Each test writes under its own key prefix; revisions are taken from etcdctl's JSON output
 * ({@code put -w json}), never assumed, so the tests are independent of each other and of their order.
 */
class EtcdctlIT extends SharedClusterTest {
    private static final String COMPACTED = "etcdserver: mvcc: required revision has been compacted";
    /** etcdctl 3.4 prints one such line per endpoint, on stderr. */
    private static final Pattern HEALTHY =
            Pattern.compile("(\\S+) is healthy: successfully committed proposal: took = \\S+");
    private static final JsonFormat.Parser JSON = JsonFormat.parser().ignoringUnknownFields();

    /** A follower that takes every write of the tests. */
    private Member writer;
    /** The other follower, that serves every read of the tests. */
    private Member reader;
    private Etcdctl put;
    private Etcdctl get;

    @BeforeAll
    void clients() {
        Member leader = cluster.leader();
        List<Member> followers = cluster.members().stream().filter(member -> member != leader).toList();
        writer = followers.get(0);
        reader = followers.get(1);
        put = Etcdctl.of(writer);
        get = Etcdctl.of(reader);
    }

    @Test
    void aWriteOnOneFollowerIsAnsweredThereAndReadOnTheOther() {
        PutResponse written = json(ok(put.run("put", key("k"), "v1", "-w", "json")), PutResponse.getDefaultInstance());
        RangeResponse read = json(ok(get.run("get", key("k"), "-w", "json")), RangeResponse.getDefaultInstance());

        assertThat(written.getHeader().getMemberId()).as("member that answered the put").isEqualTo(writer.id());
        assertThat(read.getHeader().getMemberId()).as("member that answered the get").isEqualTo(reader.id());
        assertThat(read.getKvsList()).singleElement().satisfies(kv -> {
            assertThat(kv.getKey().toStringUtf8()).isEqualTo(key("k"));
            assertThat(kv.getValue().toStringUtf8()).isEqualTo("v1");
            assertThat(kv.getCreateRevision()).isEqualTo(written.getHeader().getRevision());
            assertThat(kv.getModRevision()).isEqualTo(written.getHeader().getRevision());
            assertThat(kv.getVersion()).isEqualTo(1);
        });
        assertThat(read.getHeader().getRevision()).isGreaterThanOrEqualTo(written.getHeader().getRevision());
    }

    @Test
    void putPrintsOkAndGetPrintsKeysAndValuesInKeyOrder() {
        for (String name : List.of("c", "a", "b")) {
            assertThat(ok(put.run("put", key(name), "value-" + name))).isEqualTo("OK\n");
        }

        assertThat(ok(get.run("get", key("a")))).isEqualTo(key("a") + "\nvalue-a\n");
        assertThat(ok(get.run("get", key("a"), "--print-value-only"))).isEqualTo("value-a\n");
        assertThat(ok(get.run("get", key("missing")))).isEmpty();
        assertThat(ok(get.run("get", prefix, "--prefix"))).isEqualTo(lines(
                key("a"), "value-a", key("b"), "value-b", key("c"), "value-c"));
        // A range [from, to): to is excluded.
        assertThat(ok(get.run("get", key("a"), key("c")))).isEqualTo(lines(key("a"), "value-a", key("b"), "value-b"));
    }

    @Test
    void keysOnlyPrintsEachKeyFollowedByAnEmptyLine() {
        putAll("one", "two", "three");

        assertThat(ok(get.run("get", prefix, "--prefix", "--keys-only")))
                .isEqualTo(lines(key("one"), "", key("three"), "", key("two"), ""));
    }

    @Test
    void limitPrintsTheFirstKeysAndJsonShowsTheTotalCountAndMore() {
        putAll("k1", "k2", "k3", "k4", "k5");

        assertThat(ok(get.run("get", prefix, "--prefix", "--limit", "2")))
                .isEqualTo(lines(key("k1"), "v-k1", key("k2"), "v-k2"));

        String limited = ok(get.run("get", prefix, "--prefix", "--limit", "2", "-w", "json"));
        // etcdctl prints the RangeResponse as JSON: keys and values are base64 there.
        assertThat(limited).contains("\"key\":\"" + base64(key("k1")) + "\"", "\"value\":\"" + base64("v-k1") + "\"");
        RangeResponse page = json(limited, RangeResponse.getDefaultInstance());
        assertThat(page.getCount()).as("count: every key in the range, not only those returned").isEqualTo(5);
        assertThat(page.getMore()).as("more").isTrue();
        assertThat(keys(page)).containsExactly(key("k1"), key("k2"));
        assertThat(page.getKvsList()).extracting(kv -> kv.getValue().toStringUtf8()).containsExactly("v-k1", "v-k2");

        RangeResponse all = json(ok(get.run("get", prefix, "--prefix", "-w", "json")), RangeResponse.getDefaultInstance());
        assertThat(all.getCount()).isEqualTo(5);
        assertThat(all.getMore()).isFalse();
        assertThat(keys(all)).containsExactly(key("k1"), key("k2"), key("k3"), key("k4"), key("k5"));

        RangeResponse exact = json(ok(get.run("get", prefix, "--prefix", "--limit", "5", "-w", "json")),
                RangeResponse.getDefaultInstance());
        assertThat(exact.getCount()).isEqualTo(5);
        assertThat(exact.getMore()).as("more, when the limit is exactly the count").isFalse();
    }

    @Test
    void sortByAndOrderOrderTheOutput() {
        // Written in the order c, a, b with values that sort b < c < a: every sort target gives another order.
        assertThat(ok(put.run("put", key("c"), "x2"))).isEqualTo("OK\n");
        assertThat(ok(put.run("put", key("a"), "x3"))).isEqualTo("OK\n");
        assertThat(ok(put.run("put", key("b"), "x1"))).isEqualTo("OK\n");

        assertThat(sortedKeys("--sort-by=KEY", "--order=ASCEND")).containsExactly("a", "b", "c");
        assertThat(sortedKeys("--sort-by=KEY", "--order=DESCEND")).containsExactly("c", "b", "a");
        assertThat(sortedKeys("--order=DESCEND")).as("sort by key by default").containsExactly("c", "b", "a");
        assertThat(sortedKeys("--sort-by=CREATE", "--order=ASCEND")).containsExactly("c", "a", "b");
        assertThat(sortedKeys("--sort-by=MODIFY", "--order=DESCEND")).containsExactly("b", "a", "c");
        assertThat(sortedKeys("--sort-by=VALUE", "--order=ASCEND")).containsExactly("b", "c", "a");
        assertThat(sortedKeys("--sort-by=VALUE", "--order=DESCEND")).containsExactly("a", "c", "b");
        assertThat(ok(get.run("get", prefix, "--prefix", "--sort-by=VALUE", "--order=ASCEND")))
                .isEqualTo(lines(key("b"), "x1", key("c"), "x2", key("a"), "x3"));
    }

    @Test
    void getAtAnOlderRevisionPrintsTheValuesOfThen() {
        long first = revisionOf(put.run("put", key("k"), "old", "-w", "json"));
        long second = revisionOf(put.run("put", key("k"), "new", "-w", "json"));
        long third = revisionOf(put.run("put", key("later"), "1", "-w", "json"));
        assertThat(second).isEqualTo(first + 1);
        assertThat(third).isEqualTo(second + 1);

        assertThat(ok(get.run("get", key("k"), "--rev=" + first))).isEqualTo(lines(key("k"), "old"));
        assertThat(ok(get.run("get", key("k"), "--rev=" + second))).isEqualTo(lines(key("k"), "new"));
        assertThat(ok(get.run("get", key("k")))).isEqualTo(lines(key("k"), "new"));
        assertThat(ok(get.run("get", prefix, "--prefix", "--rev=" + second))).as("later did not exist yet")
                .isEqualTo(lines(key("k"), "new"));
        assertThat(ok(get.run("get", key("later"), "--rev=" + second))).isEmpty();

        RangeResponse then = json(ok(get.run("get", key("k"), "--rev=" + first, "-w", "json")),
                RangeResponse.getDefaultInstance());
        assertThat(then.getKvsList()).singleElement().satisfies(kv -> {
            assertThat(kv.getModRevision()).isEqualTo(first);
            assertThat(kv.getVersion()).isEqualTo(1);
        });
        assertThat(then.getHeader().getRevision()).as("the header has the current revision, not --rev")
                .isGreaterThanOrEqualTo(third);
    }

    @Test
    void delPrintsHowManyKeysItDeleted() {
        putAll("a", "b", "c", "d");

        assertThat(ok(put.run("del", key("a")))).isEqualTo("1\n");
        assertThat(ok(put.run("del", key("a")))).as("already gone").isEqualTo("0\n");
        assertThat(ok(put.run("del", key("missing")))).isEqualTo("0\n");
        assertThat(ok(get.run("get", prefix, "--prefix", "--keys-only")))
                .isEqualTo(lines(key("b"), "", key("c"), "", key("d"), ""));

        assertThat(ok(put.run("del", prefix, "--prefix"))).isEqualTo("3\n");
        assertThat(ok(get.run("get", prefix, "--prefix"))).isEmpty();
        assertThat(ok(put.run("del", prefix, "--prefix"))).isEqualTo("0\n");
    }

    @Test
    void delWithPrevKvPrintsTheDeletedPairs() {
        putAll("a", "b");

        assertThat(ok(put.run("del", prefix, "--prefix", "--prev-kv")))
                .isEqualTo(lines("2", key("a"), "v-a", key("b"), "v-b"));
    }

    @Test
    void interactiveTxnTakesTheSuccessBranchWhenEveryCompareHolds() {
        long revision = revisionOf(put.run("put", key("k"), "v", "-w", "json"));

        Result txn = put.runWithStdin("""
                mod("%1$s") = "%2$d"
                value("%1$s") = "v"
                version("%1$s") = "1"

                put %3$s then
                get %1$s

                put %3$s else

                """.formatted(key("k"), revision, key("result")), "txn", "-i");

        // The prompts go to stdout too; then the outcome and one block per response.
        assertThat(ok(txn)).isEqualTo("""
                compares:
                success requests (get, put, del):
                failure requests (get, put, del):
                SUCCESS

                OK

                %s
                v
                """.formatted(key("k")));
        assertThat(ok(get.run("get", key("result"), "--print-value-only"))).isEqualTo("then\n");
    }

    @Test
    void interactiveTxnTakesTheFailureBranchWhenACompareFails() {
        long revision = revisionOf(put.run("put", key("k"), "v", "-w", "json"));
        putAll("gone");

        Result txn = put.runWithStdin("""
                mod("%1$s") = "%2$d"
                value("%1$s") = "not-v"

                put %3$s then

                put %3$s else
                del %4$s

                """.formatted(key("k"), revision, key("result"), key("gone")), "txn", "-i");

        assertThat(ok(txn)).isEqualTo("""
                compares:
                success requests (get, put, del):
                failure requests (get, put, del):
                FAILURE

                OK

                1
                """);
        assertThat(ok(get.run("get", key("result"), "--print-value-only"))).isEqualTo("else\n");
        assertThat(ok(get.run("get", key("gone")))).isEmpty();

        Result stale = put.runWithStdin("""
                mod("%1$s") = "%2$d"

                put %3$s then

                put %3$s stale

                """.formatted(key("k"), revision - 1, key("result")), "txn", "-i");
        assertThat(ok(stale)).endsWith("FAILURE\n\nOK\n");
        assertThat(ok(get.run("get", key("result"), "--print-value-only"))).isEqualTo("stale\n");
    }

    @Test
    void getBelowTheCompactedRevisionFailsWithEtcdsMessage() {
        long old = revisionOf(put.run("put", key("k"), "old", "-w", "json"));
        long current = revisionOf(put.run("put", key("k"), "new", "-w", "json"));

        assertThat(ok(put.run("compaction", Long.toString(current)))).isEqualTo("compacted revision " + current + "\n");

        Result compacted = get.run("get", key("k"), "--rev=" + old);
        assertThat(compacted.exitCode()).as("%s", compacted).isNotZero();
        assertThat(compacted.stdout()).isEmpty();
        assertThat(compacted.stderr()).contains("Error: " + COMPACTED);
        assertThat(ok(get.run("get", key("k"), "--rev=" + current))).as("the compaction revision itself is kept")
                .isEqualTo(lines(key("k"), "new"));
        assertThat(ok(get.run("get", key("k")))).isEqualTo(lines(key("k"), "new"));

        Result again = put.run("compaction", Long.toString(old));
        assertThat(again.exitCode()).as("%s", again).isNotZero();
        assertThat(again.stderr()).contains("Error: " + COMPACTED);
    }

    /** Endpoints as operators and etcd's docs write them: {@code http://host:port}, the cluster's client URLs. */
    @Test
    void endpointStatusShowsEveryMemberAndExactlyOneLeader() {
        assertEndpointStatus(Member::clientUrl);
    }

    /**
     * The same with the endpoints written {@code host:port}. etcdctl 3.4 dials each endpoint of {@code endpoint
     * status} (and {@code endpoint hashkv}, {@code defrag}) on its own, as gRPC target {@code passthrough:///<endpoint>},
     * so with {@code http://} endpoints the HTTP/2 {@code :authority} it sends is {@code http://host:port}; without
     * a scheme it is a plain {@code host:port}. Telling the two apart locates a failure of the test above.
     */
    @Test
    void endpointStatusWithSchemelessEndpointsShowsEveryMemberAndExactlyOneLeader() {
        assertEndpointStatus(member -> URI.create(member.clientUrl()).getAuthority());
    }

    private void assertEndpointStatus(Function<Member, String> endpoint) {
        Member leader = cluster.leader();
        String endpoints = cluster.members().stream().map(endpoint).collect(Collectors.joining(","));

        Result status = new Etcdctl(endpoints).run("endpoint", "status", "-w", "table");

        List<Map<String, String>> rows = table(ok(status));
        assertThat(rows).as("%s", status).hasSize(3);
        assertThat(rows).extracting(row -> row.get("ENDPOINT"))
                .containsExactlyInAnyOrderElementsOf(cluster.members().stream().map(endpoint).toList());
        assertThat(rows).extracting(row -> row.get("IS LEADER")).as("IS LEADER")
                .containsOnly("true", "false").containsOnlyOnce("true");
        Map<String, String> leaderRow = rows.stream().filter(row -> row.get("IS LEADER").equals("true"))
                .findFirst().orElseThrow();
        assertThat(leaderRow.get("ENDPOINT")).isEqualTo(endpoint.apply(leader));
        for (Member member : cluster.members()) {
            Map<String, String> row = rows.stream().filter(r -> r.get("ENDPOINT").equals(endpoint.apply(member)))
                    .findFirst().orElseThrow();
            assertThat(row.get("ID")).as("ID of %s", member).isEqualTo(Long.toHexString(member.id()));
            assertThat(row.get("IS LEARNER")).as("IS LEARNER of %s", member).isEqualTo("false");
            assertThat(row.get("ERRORS")).as("ERRORS of %s", member).isEmpty();
            assertThat(row.get("RAFT TERM")).as("RAFT TERM of %s", member).matches("[1-9][0-9]*");
        }
    }

    @Test
    void endpointHealthReportsEveryMemberHealthy() {
        Result health = Etcdctl.of(cluster).run("endpoint", "health");

        assertThat(health.exitCode()).as("%s", health).isZero();
        List<String> lines = health.stderr().lines().filter(line -> !line.isBlank()).toList();
        assertThat(lines).as("%s", health).hasSize(3).allMatch(line -> HEALTHY.matcher(line).matches());
        assertThat(lines).extracting(line -> {
            Matcher matcher = HEALTHY.matcher(line);
            assertThat(matcher.matches()).isTrue();
            return matcher.group(1);
        }).containsExactlyInAnyOrderElementsOf(cluster.members().stream().map(Member::clientUrl).toList());
    }

    @Test
    void memberListShowsEveryMemberWithItsUrls() {
        MemberListResponse list = json(ok(get.run("member", "list", "-w", "json")), MemberListResponse.getDefaultInstance());

        assertThat(list.getMembersList()).extracting(dev.gantry.kv.api.etcd.Member::getName)
                .containsExactlyInAnyOrder("m1", "m2", "m3");
        Map<String, dev.gantry.kv.api.etcd.Member> byName = list.getMembersList().stream()
                .collect(Collectors.toMap(dev.gantry.kv.api.etcd.Member::getName, Function.identity()));
        for (Member member : cluster.members()) {
            dev.gantry.kv.api.etcd.Member listed = byName.get(member.name());
            assertThat(listed.getID()).as("ID of %s", member).isEqualTo(member.id());
            assertThat(listed.getPeerURLsList()).as("peer URLs of %s", member).containsExactly(member.peerUrl());
            assertThat(listed.getClientURLsList()).as("client URLs of %s", member)
                    .containsExactly(member.clientUrl());
            assertThat(listed.getIsLearner()).isFalse();
        }

        // The table an operator reads: ID in hex, then status, name, peer and client URLs, learner.
        List<Map<String, String>> rows = table(ok(put.run("member", "list", "-w", "table")));
        assertThat(rows).hasSize(3);
        for (Member member : cluster.members()) {
            assertThat(rows).as("row of %s", member).contains(Map.of(
                    "ID", Long.toHexString(member.id()),
                    "STATUS", "started",
                    "NAME", member.name(),
                    "PEER ADDRS", member.peerUrl(),
                    "CLIENT ADDRS", member.clientUrl(),
                    "IS LEARNER", "false"));
        }
    }

    // ---- helpers

    private String key(String name) {
        return prefix + name;
    }

    /** Puts {@code v-<name>} at each key, through the writer, checking etcdctl's "OK". */
    private void putAll(String... names) {
        for (String name : names) {
            assertThat(ok(put.run("put", key(name), "v-" + name))).isEqualTo("OK\n");
        }
    }

    /** The names (keys less the prefix) that {@code get <prefix> --prefix --keys-only <sort flags>} prints. */
    private List<String> sortedKeys(String... sortFlags) {
        List<String> args = new ArrayList<>(List.of("get", prefix, "--prefix", "--keys-only"));
        args.addAll(Arrays.asList(sortFlags));
        String out = ok(get.run(args.toArray(String[]::new)));
        return out.lines().filter(line -> !line.isEmpty()).map(line -> line.substring(prefix.length())).toList();
    }

    /** The revision of a write, from the header that {@code -w json} prints. */
    private static long revisionOf(Result result) {
        long revision = json(ok(result), PutResponse.getDefaultInstance()).getHeader().getRevision();
        assertThat(revision).as("revision in %s", result).isPositive();
        return revision;
    }

    private static String ok(Result result) {
        assertThat(result.exitCode()).as("etcdctl exit code; %s", result).isZero();
        return result.stdout();
    }

    private static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    private static List<String> keys(RangeResponse response) {
        return response.getKvsList().stream().map(KeyValue::getKey).map(key -> key.toStringUtf8()).toList();
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Parses what {@code -w json} prints: the response message as Go's encoding/json writes it (proto field names,
     * bytes in base64, zero values left out), which protobuf's JSON parser reads.
     */
    @SuppressWarnings("unchecked")
    private static <M extends Message> M json(String json, M type) {
        Message.Builder builder = type.newBuilderForType();
        try {
            JSON.merge(json, builder);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("etcdctl printed no " + builder.getDescriptorForType().getName() + " JSON:\n"
                    + json, e);
        }
        return (M) builder.build();
    }

    /** The rows of a {@code -w table} output, each a map from column header to trimmed cell text. */
    private static List<Map<String, String>> table(String output) {
        List<List<String>> lines = output.lines()
                .filter(line -> line.startsWith("|"))
                .map(line -> Arrays.stream(line.substring(1, line.length() - 1).split("\\|", -1))
                        .map(String::strip).toList())
                .toList();
        assertThat(lines).as("table\n%s", output).isNotEmpty();
        List<String> header = lines.getFirst();
        assertThat(Set.copyOf(header)).as("distinct column headers").hasSameSizeAs(header);
        List<Map<String, String>> rows = new ArrayList<>();
        for (List<String> cells : lines.subList(1, lines.size())) {
            assertThat(cells).as("row %s of\n%s", cells, output).hasSameSizeAs(header);
            Map<String, String> row = new HashMap<>();
            for (int i = 0; i < header.size(); i++) {
                row.put(header.get(i), cells.get(i));
            }
            rows.add(row);
        }
        return rows;
    }
}
