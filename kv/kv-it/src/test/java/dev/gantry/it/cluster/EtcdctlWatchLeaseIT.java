package dev.gantry.it.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.gantry.it.cluster.Etcdctl.Result;
import dev.gantry.it.cluster.EtcdctlProcess.Line;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real etcdctl 3.4 against a 3-member cluster (the implementation chosen by {@code -Dit.impl}): {@code watch},
 * {@code lease}, {@code put --lease}, {@code lock} and {@code elect}, asserting what etcdctl prints, as
 * {@link EtcdctlIT} does for the KV commands. Long-running commands run in the background
 * ({@link EtcdctlProcess}); the tests wait for the lines they expect, with deadlines.
 *
 * <p>As in EtcdctlIT, writes and lease grants go through one follower ({@code writer}) and watches, reads and
 * keep-alives through the other ({@code reader}), so followers must forward lease requests and serve watches on
 * writes made elsewhere. Each test works under its own key prefix (lock and election names too).
 *
 * <p>What etcdctl 3.4.23 prints, and so what these tests pin down (lease IDs: 16 lowercase hex digits):
 * <ul>
 *   <li>{@code watch}: per event the type ({@code PUT}/{@code DELETE}), with {@code --prev-kv} the previous key and
 *       value when there is one, then key and value (empty for a DELETE); a watch from a compacted revision ends
 *       with exit code 5, stderr {@code watch was canceled (etcdserver: mvcc: required revision has been
 *       compacted)} and {@code Error: watch is canceled by the server}; in {@code -w json} the response shows
 *       {@code "CompactRevision":<compaction revision>,"Canceled":true}.</li>
 *   <li>{@code lease grant 30}: {@code lease <id> granted with TTL(30s)}; a TTL of 1 is raised to etcd's minimum,
 *       {@code TTL(2s)} (ceil(1.5 x election timeout of 1 s)).</li>
 *   <li>{@code lease keep-alive <id>}: {@code lease <id> keepalived with TTL(<granted TTL>)} at each renewal (every
 *       TTL/3); once the lease is revoked, {@code lease <id> expired or revoked.} and exit code 0 (also for a lease
 *       that never existed).</li>
 *   <li>{@code lease timetolive <id> [--keys]}: {@code lease <id> granted with TTL(60s), remaining(59s)[, attached
 *       keys([k1 k2])]} (etcd lists the keys in no particular order); for an unknown lease
 *       {@code lease <id> already expired}.</li>
 *   <li>{@code lease revoke <id>}: {@code lease <id> revoked}; an unknown one: exit 1, {@code Error: failed to revoke
 *       lease (etcdserver: requested lease not found)}.</li>
 *   <li>{@code lease list}: {@code found <n> leases}, then one ID per line.</li>
 *   <li>{@code lock <name>}: the lock key {@code <name>/<lease ID in hex, no padding>} and an empty line (key and
 *       value); with a command, runs it with {@code ETCD_LOCK_KEY} set and prints only its output.</li>
 *   <li>{@code elect <name> <proposal>}: the leader key ({@code <name>/<lease ID in hex>}) and the proposal once
 *       elected; resigns on SIGTERM and exits 0; {@code elect -l <name>} prints key and proposal of every new
 *       leader. etcdctl 3.4 has no {@code --ttl} for elect: its session lease has a TTL of 60 s, so a candidate that
 *       dies is only replaced when its lease goes; the test revokes it rather than waiting a minute.</li>
 * </ul>
 * etcdctl's lock and elect are client-side recipes (clientv3/concurrency: a lease, a txn, a watch for the deletion
 * of the previous key); they do not call the Lock and Election gRPC services.
 */
class EtcdctlWatchLeaseIT extends SharedClusterTest {
    private static final Duration AWAIT = Duration.ofSeconds(20);
    private static final String COMPACTED = "etcdserver: mvcc: required revision has been compacted";
    private static final String LEASE_NOT_FOUND = "etcdserver: requested lease not found";
    private static final Pattern GRANTED = Pattern.compile("lease ([0-9a-f]{16}) granted with TTL\\((\\d+)s\\)");
    /** The key of a lock or election candidate: the name, a slash, the session's lease ID in hex. */
    private static final String SESSION_KEY = "/[0-9a-f]{1,16}";
    private static final JsonFormat.Parser JSON = JsonFormat.parser().ignoringUnknownFields();

    private Member leader;
    private Etcdctl put;
    private Etcdctl get;
    private Etcdctl onLeader;
    private final List<EtcdctlProcess> background = new ArrayList<>();

    @BeforeAll
    void clients() {
        leader = cluster.leader();
        List<Member> followers = cluster.members().stream().filter(member -> member != leader).toList();
        put = Etcdctl.of(followers.get(0));
        get = Etcdctl.of(followers.get(1));
        onLeader = Etcdctl.of(leader);
    }

    @AfterEach
    void killBackgroundProcesses() {
        background.forEach(EtcdctlProcess::close);
        background.clear();
    }

    // ---- watch ---------------------------------------------------------------------------------------------------

    @Test
    void watchPrefixFromAPastRevisionPrintsTheHistoryThenNewEvents() {
        long first = revisionOf(put.run("put", key("a"), "1", "-w", "json"));
        ok(put.run("put", key("b"), "2"));
        ok(put.run("del", key("a")));
        ok(put.run("put", "/etcdctl-watch-lease-it/elsewhere", "x"));

        EtcdctlProcess watch = start(get, "watch", prefix, "--prefix", "--rev=" + first);
        List<String> history = List.of("PUT", key("a"), "1", "PUT", key("b"), "2", "DELETE", key("a"), "");
        assertThat(watch.awaitLineCount(history.size(), AWAIT)).as("%s", watch).isEqualTo(history);

        ok(put.run("put", key("c"), "3"));
        ok(put.run("put", "/etcdctl-watch-lease-it/elsewhere", "y"));
        ok(put.run("del", prefix, "--prefix"));

        List<String> live = List.of("PUT", key("c"), "3", "DELETE", key("b"), "", "DELETE", key("c"), "");
        List<String> all = new ArrayList<>(history);
        all.addAll(live);
        assertThat(watch.awaitLineCount(all.size(), AWAIT)).as("%s", watch).isEqualTo(all);
        assertThat(watch.isAlive()).as("a watch runs until stopped").isTrue();
    }

    @Test
    void watchWithPrevKvPrintsThePreviousKeyAndValueBeforeEachEvent() {
        long first = revisionOf(put.run("put", key("k"), "v1", "-w", "json"));
        ok(put.run("put", key("k"), "v2"));
        ok(put.run("del", key("k")));
        ok(put.run("put", key("k"), "v3"));

        EtcdctlProcess watch = start(get, "watch", key("k"), "--rev=" + first, "--prev-kv");

        List<String> expected = List.of(
                "PUT", key("k"), "v1",
                "PUT", key("k"), "v1", key("k"), "v2",
                "DELETE", key("k"), "v2", key("k"), "",
                "PUT", key("k"), "v3");
        assertThat(watch.awaitLineCount(expected.size(), AWAIT)).as("%s", watch).isEqualTo(expected);
    }

    @Test
    void watchFromACompactedRevisionIsCanceledByTheServer() {
        long old = revisionOf(put.run("put", key("k"), "old", "-w", "json"));
        long current = revisionOf(put.run("put", key("k"), "new", "-w", "json"));
        ok(put.run("compaction", Long.toString(current)));

        Result watch = get.run(null, AWAIT, List.of("watch", key("k"), "--rev=" + old));
        assertThat(watch.exitCode()).as("%s", watch).isEqualTo(5);
        assertThat(watch.stdout()).as("%s", watch).isEmpty();
        assertThat(watch.stderr()).as("%s", watch).contains(
                "watch was canceled (" + COMPACTED + ")", "Error: watch is canceled by the server");

        Result json = get.run(null, AWAIT, List.of("watch", key("k"), "--rev=" + old, "-w", "json"));
        assertThat(json.stdout()).as("%s", json)
                .contains("\"CompactRevision\":" + current + ",", "\"Canceled\":true", "\"Events\":[]");

        EtcdctlProcess fromCompaction = start(get, "watch", key("k"), "--rev=" + current);
        assertThat(fromCompaction.awaitLineCount(3, AWAIT)).as("the compaction revision itself is kept")
                .isEqualTo(List.of("PUT", key("k"), "new"));
    }

    // ---- lease ---------------------------------------------------------------------------------------------------

    @Test
    void leaseGrantPrintsTheLeaseIdAndTtlAndLeaseListShowsIt() {
        String first = grant(30);
        String second = grant(60);

        String list = ok(get.run("lease", "list"));
        List<String> lines = list.lines().toList();
        assertThat(lines.getFirst()).as(list).matches("found \\d+ leases");
        assertThat(lines.subList(1, lines.size())).as(list)
                .hasSize(Integer.parseInt(lines.getFirst().split(" ")[1]))
                .allMatch(id -> id.matches("[0-9a-f]{16}"))
                .contains(first, second);

        ok(put.run("lease", "revoke", first));
        assertThat(ok(get.run("lease", "list")).lines().toList()).as("after revoking %s", first)
                .doesNotContain(first).contains(second);
    }

    @Test
    void aTtlBelowTheMinimumIsRaisedToTwoSeconds() {
        Matcher granted = GRANTED.matcher(ok(put.run("lease", "grant", "1")).strip());
        assertThat(granted.matches()).as("lease grant output").isTrue();
        assertThat(granted.group(2)).as("granted TTL").isEqualTo("2");
    }

    @Test
    void putWithLeaseAttachesTheKeyAndTimeToLiveListsTheAttachedKeys() {
        String lease = grant(60);
        assertThat(ok(put.run("put", key("a"), "1", "--lease=" + lease))).isEqualTo("OK\n");
        assertThat(ok(put.run("put", key("b"), "2", "--lease=" + lease))).isEqualTo("OK\n");

        RangeResponse read = json(ok(get.run("get", prefix, "--prefix", "-w", "json")));
        assertThat(read.getKvsList()).as("keys and their lease").hasSize(2)
                .allSatisfy(kv -> assertThat(kv.getLease()).isEqualTo(Long.parseUnsignedLong(lease, 16)));

        String ttl = ok(get.run("lease", "timetolive", lease)).strip();
        Matcher plain = Pattern.compile("lease " + lease + " granted with TTL\\(60s\\), remaining\\((\\d+)s\\)")
                .matcher(ttl);
        assertThat(plain.matches()).as(ttl).isTrue();
        assertThat(Integer.parseInt(plain.group(1))).as("remaining TTL").isBetween(50, 60);

        String withKeys = ok(get.run("lease", "timetolive", lease, "--keys")).strip();
        Matcher keys = Pattern.compile("lease " + lease
                + " granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[(.*)\\]\\)").matcher(withKeys);
        assertThat(keys.matches()).as(withKeys).isTrue();
        assertThat(keys.group(1).split(" ")).as("attached keys, in any order")
                .containsExactlyInAnyOrder(key("a"), key("b"));
    }

    @Test
    void leaseRevokeDeletesTheAttachedKeys() {
        String lease = grant(60);
        ok(put.run("put", key("a"), "1", "--lease=" + lease));
        ok(put.run("put", key("b"), "2", "--lease=" + lease));
        ok(put.run("put", key("other"), "3"));

        assertThat(ok(put.run("lease", "revoke", lease))).isEqualTo("lease " + lease + " revoked\n");

        assertThat(ok(get.run("get", prefix, "--prefix"))).isEqualTo(key("other") + "\n3\n");
        assertThat(ok(get.run("lease", "timetolive", lease))).isEqualTo("lease " + lease + " already expired\n");
        Result again = put.run("lease", "revoke", lease);
        assertThat(again.exitCode()).as("%s", again).isEqualTo(1);
        assertThat(again.stderr()).as("%s", again)
                .contains("Error: failed to revoke lease (" + LEASE_NOT_FOUND + ")");
    }

    @Test
    void putWithAnUnknownLeaseFails() {
        String unknown = "00000000000b0b0b";

        Result result = put.run("put", key("k"), "v", "--lease=" + unknown);

        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.stderr()).as("%s", result).contains("Error: " + LEASE_NOT_FOUND);
        assertThat(ok(get.run("get", key("k")))).isEmpty();
        assertThat(ok(get.run("lease", "timetolive", unknown))).isEqualTo("lease " + unknown + " already expired\n");
    }

    @Test
    void keepAliveRenewsEveryThirdOfTheTtlAndKeepsTheKeysPastTheTtl() {
        String lease = grant(3);
        ok(put.run("put", key("k"), "v", "--lease=" + lease));

        EtcdctlProcess keepAlive = start(get, "lease", "keep-alive", lease);
        // Five renewals take about four seconds: past the 3 s TTL of the lease, counted from before the put.
        List<String> lines = keepAlive.awaitLineCount(5, AWAIT);
        assertThat(lines).as("%s", keepAlive).allMatch(line -> line.equals("lease " + lease + " keepalived with TTL(3)"));
        assertThat(ok(onLeader.run("get", key("k")))).as("the key, 5 renewals later").isEqualTo(key("k") + "\nv\n");

        keepAlive.kill9();
        long lastRenewal = keepAlive.timedLines().getLast().nanos();
        Await.until(key("k") + " deleted once its lease expired", AWAIT,
                () -> ok(onLeader.run("get", key("k"))).isEmpty() ? Optional.of(true) : Optional.empty(), () -> "");
        assertThat(Duration.ofNanos(System.nanoTime() - lastRenewal)).as("last renewal to the key gone")
                .isLessThan(Duration.ofSeconds(3 + 3));
    }

    @Test
    void keepAliveEndsWhenTheLeaseIsRevoked() {
        String lease = grant(6);
        EtcdctlProcess keepAlive = start(get, "lease", "keep-alive", lease);
        keepAlive.awaitLineCount(1, AWAIT);

        ok(put.run("lease", "revoke", lease));

        assertThat(keepAlive.awaitExit(AWAIT)).as("%s", keepAlive).isZero();
        List<String> lines = keepAlive.lines();
        assertThat(lines.getLast()).as("%s", keepAlive).isEqualTo("lease " + lease + " expired or revoked.");
        assertThat(lines.subList(0, lines.size() - 1)).as("%s", keepAlive)
                .isNotEmpty().allMatch(line -> line.equals("lease " + lease + " keepalived with TTL(6)"));
    }

    @Test
    void keepAliveOnceRenewsOnceAndAnUnknownLeaseIsReportedExpired() {
        String lease = grant(20);
        assertThat(ok(get.run("lease", "keep-alive", "--once", lease)))
                .isEqualTo("lease " + lease + " keepalived with TTL(20)\n");

        String unknown = "00000000000c0c0c";
        assertThat(ok(get.run("lease", "keep-alive", unknown))).isEqualTo("lease " + unknown + " expired or revoked.\n");
    }

    // ---- lock ----------------------------------------------------------------------------------------------------

    @Test
    void aSecondLockHolderAcquiresOnlyAfterTheFirstReleases(@TempDir Path dir) throws IOException {
        String lock = prefix + "lock";
        Path release = dir.resolve("release");
        EtcdctlProcess holder = start(put, "lock", lock, "--", "sh", "-c",
                "echo holder $ETCD_LOCK_KEY; while [ ! -e '" + release + "' ]; do sleep 0.1; done; echo released");
        String holderKey = holder.awaitLineCount(1, AWAIT).getFirst();
        assertThat(holderKey).as("%s", holder).matches("holder " + Pattern.quote(lock) + SESSION_KEY);

        EtcdctlProcess waiter = start(get, "lock", lock, "--", "sh", "-c", "echo waiter $ETCD_LOCK_KEY");
        awaitKeys(lock + "/", 2);
        Await.throughout("the second etcdctl lock waiting", Duration.ofSeconds(2),
                () -> waiter.lines().isEmpty() && waiter.isAlive() ? Optional.empty() : Optional.of("" + waiter),
                () -> "");

        Files.createFile(release);
        long releasedAt = System.nanoTime();

        assertThat(holder.awaitExit(AWAIT)).as("%s", holder).isZero();
        assertThat(holder.lines()).as("%s", holder).containsExactly(holderKey, "released");
        assertThat(waiter.awaitExit(AWAIT)).as("%s", waiter).isZero();
        List<Line> acquired = waiter.timedLines();
        assertThat(acquired).as("%s", waiter).hasSize(1);
        assertThat(acquired.getFirst().text()).matches("waiter " + Pattern.quote(lock) + SESSION_KEY)
                .isNotEqualTo("waiter " + holderKey.substring("holder ".length()));
        assertThat(acquired.getFirst().nanos() - releasedAt).as("acquired after the release").isPositive();
        assertThat(ok(get.run("get", lock, "--prefix"))).as("both released the lock").isEmpty();
    }

    @Test
    void aLockHeldByAKilledEtcdctlIsFreedWhenItsSessionLeaseExpires() {
        String lock = prefix + "lock";
        EtcdctlProcess holder = start(put, "lock", "--ttl=3", lock);
        List<String> printed = holder.awaitLineCount(2, AWAIT);
        assertThat(printed.getFirst()).as("%s", holder).matches(Pattern.quote(lock) + SESSION_KEY);
        assertThat(printed.get(1)).as("the lock key's value").isEmpty();
        String holderLease = printed.getFirst().substring(lock.length() + 1);
        assertThat(leaseIds()).as("lease list").contains("%016x".formatted(Long.parseUnsignedLong(holderLease, 16)));

        EtcdctlProcess waiter = start(get, "lock", lock, "--", "echo", "acquired");
        awaitKeys(lock + "/", 2);
        assertThat(waiter.lines()).as("%s", waiter).isEmpty();

        holder.kill9();
        long killedAt = System.nanoTime();

        assertThat(waiter.awaitExit(AWAIT)).as("%s", waiter).isZero();
        assertThat(waiter.lines()).containsExactly("acquired");
        assertThat(Duration.ofNanos(waiter.timedLines().getFirst().nanos() - killedAt))
                .as("holder killed to the waiter acquiring: at most the 3 s session TTL, plus 2 s")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(ok(get.run("get", lock, "--prefix"))).isEmpty();
    }

    // ---- elect ---------------------------------------------------------------------------------------------------

    @Test
    void electPrintsTheLeaderAndTheNextCandidateTakesOverWhenTheLeaderResignsOrLosesItsLease() {
        String election = prefix + "election";
        EtcdctlProcess observer = start(onLeader, "elect", "-l", election);
        EtcdctlProcess alice = start(put, "elect", election, "alice");
        List<String> aliceElected = alice.awaitLineCount(2, AWAIT);
        assertThat(aliceElected.getFirst()).as("%s", alice).matches(Pattern.quote(election) + SESSION_KEY);
        assertThat(aliceElected.get(1)).isEqualTo("alice");
        assertThat(observer.awaitLineCount(2, AWAIT)).as("%s", observer).isEqualTo(aliceElected);

        EtcdctlProcess bob = start(get, "elect", election, "bob");
        awaitKeys(election + "/", 2);
        EtcdctlProcess carol = start(onLeader, "elect", election, "carol");
        awaitKeys(election + "/", 3);
        Await.throughout("bob and carol waiting while alice leads", Duration.ofSeconds(1),
                () -> bob.lines().isEmpty() && carol.lines().isEmpty() ? Optional.empty()
                        : Optional.of(bob + "\n" + carol), () -> "");

        // SIGTERM: etcdctl elect resigns (deletes its key) and exits 0; the next candidate in line is elected.
        assertThat(alice.terminate(AWAIT)).as("%s", alice).isZero();
        List<String> bobElected = bob.awaitLineCount(2, AWAIT);
        assertThat(bobElected.getFirst()).as("%s", bob).matches(Pattern.quote(election) + SESSION_KEY)
                .isNotEqualTo(aliceElected.getFirst());
        assertThat(bobElected.get(1)).isEqualTo("bob");
        assertThat(observer.awaitLineCount(4, AWAIT)).as("%s", observer)
                .isEqualTo(concat(aliceElected, bobElected));
        assertThat(carol.lines()).as("%s", carol).isEmpty();

        // A crashed leader keeps leading until its session lease ends: revoke it rather than wait its 60 s TTL.
        bob.kill9();
        String bobLease = bobElected.getFirst().substring(election.length() + 1);
        assertThat(ok(put.run("lease", "revoke", bobLease))).isEqualTo("lease %016x revoked\n"
                .formatted(Long.parseUnsignedLong(bobLease, 16)));
        List<String> carolElected = carol.awaitLineCount(2, AWAIT);
        assertThat(carolElected.get(1)).as("%s", carol).isEqualTo("carol");
        assertThat(observer.awaitLineCount(6, AWAIT)).as("%s", observer)
                .isEqualTo(concat(aliceElected, bobElected, carolElected));

        assertThat(carol.terminate(AWAIT)).as("%s", carol).isZero();
        assertThat(ok(get.run("get", election, "--prefix"))).as("every candidate gone").isEmpty();
        assertThat(observer.isAlive()).as("the observer runs until stopped").isTrue();
        assertThat(observer.terminate(AWAIT)).as("%s", observer).isZero();
        assertThat(observer.lines()).as("no leader printed after carol resigned")
                .isEqualTo(concat(aliceElected, bobElected, carolElected));
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private String key(String name) {
        return prefix + name;
    }

    private EtcdctlProcess start(Etcdctl etcdctl, String... args) {
        EtcdctlProcess process = etcdctl.start(args);
        background.add(process);
        return process;
    }

    /** Grants a lease through the writer, checks what etcdctl printed, and returns the ID as printed (hex). */
    private String grant(long ttl) {
        String out = ok(put.run("lease", "grant", Long.toString(ttl))).strip();
        Matcher granted = GRANTED.matcher(out);
        assertThat(granted.matches()).as("lease grant output: %s", out).isTrue();
        assertThat(granted.group(2)).as("granted TTL").isEqualTo(Long.toString(ttl));
        return granted.group(1);
    }

    private List<String> leaseIds() {
        List<String> lines = ok(get.run("lease", "list")).lines().toList();
        return lines.subList(1, lines.size());
    }

    /** Waits until exactly {@code count} keys exist under {@code keyPrefix} (candidates queued for a lock, say). */
    private void awaitKeys(String keyPrefix, int count) {
        Await.until(count + " keys under " + keyPrefix, AWAIT, () -> {
            long found = ok(get.run("get", keyPrefix, "--prefix", "--keys-only")).lines()
                    .filter(line -> !line.isEmpty()).count();
            return found == count ? Optional.of(found) : Optional.empty();
        }, () -> ok(get.run("get", keyPrefix, "--prefix")));
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        return Arrays.stream(parts).flatMap(List::stream).toList();
    }

    private static long revisionOf(Result result) {
        PutResponse.Builder response = PutResponse.newBuilder();
        try {
            JSON.merge(ok(result), response);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("no PutResponse JSON: " + result, e);
        }
        assertThat(response.getHeader().getRevision()).as("revision in %s", result).isPositive();
        return response.getHeader().getRevision();
    }

    private static RangeResponse json(String json) {
        RangeResponse.Builder response = RangeResponse.newBuilder();
        try {
            JSON.merge(json, response);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("no RangeResponse JSON:\n" + json, e);
        }
        return response.build();
    }

    private static String ok(Result result) {
        assertThat(result.exitCode()).as("etcdctl exit code; %s", result).isZero();
        return result.stdout();
    }
}
