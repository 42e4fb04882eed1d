package dev.gantry.it.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;

import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Etcdctl;
import dev.gantry.it.cluster.Etcdctl.Result;
import dev.gantry.it.cluster.EtcdctlProcess;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.etcd.AuthGrpc;
import dev.gantry.kv.api.etcd.AuthenticateRequest;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.PutResponse;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.KvException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * etcd's authentication and role-based access control through the real etcdctl 3.4, against a 3-member cluster,
 * asserting what etcdctl prints. Run against the real etcd ({@link EtcdAuthIT}) it shows that every assertion is
 * etcd's behaviour; against Gantry ({@link GantryAuthIT}) that Gantry behaves the same.
 *
 * <p>The cluster is set up once, as an operator would (docs/operations.md, "Authentication"): a root user, a role
 * {@code app} with read-write permission on the prefix {@code /app/}, a user alice with that role, auth enabled.
 * Each test uses keys of its own under {@code /app/<test>/} (alice's) and {@code /etc/<test>/} (not alice's); a test
 * that disables auth enables it again before it ends.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AuthSuite {
    static final String ROOT = "--user=root:rootpw";
    private static final String ALICE = "--user=alice:alicepw";
    private static final String DENIED = "Error: etcdserver: permission denied\n";
    private static final Duration WATCH_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration JETCD_TIMEOUT = Duration.ofSeconds(20);

    Cluster cluster;
    Etcdctl etcdctl;
    private String mine;
    private String notMine;

    abstract Implementation implementation();

    @BeforeAll
    void startClusterAndSetUpAuth() {
        cluster = Cluster.start(implementation(), 3);
        etcdctl = Etcdctl.of(cluster);
        assertThat(ok(etcdctl.run("user", "add", "root:rootpw"))).isEqualTo("User root created\n");
        assertThat(ok(etcdctl.run("role", "add", "app"))).isEqualTo("Role app created\n");
        assertThat(ok(etcdctl.run("role", "grant-permission", "--prefix", "app", "readwrite", "/app/")))
                .isEqualTo("Role app updated\n");
        assertThat(ok(etcdctl.run("user", "add", "alice:alicepw"))).isEqualTo("User alice created\n");
        assertThat(ok(etcdctl.run("user", "grant-role", "alice", "app"))).isEqualTo("Role app is granted to user alice\n");
        // etcdctl adds the root role and grants it to root itself when the server says root lacks it
        assertThat(ok(etcdctl.run("auth", "enable"))).isEqualTo("Authentication Enabled\n");
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void keys(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        mine = "/app/" + name + "/";
        notMine = "/etc/" + name + "/";
    }

    @Test
    void aLimitedUserReadsAndWritesOnlyUnderItsPrefix() {
        assertThat(ok(etcdctl.run(ALICE, "put", mine + "k", "v"))).isEqualTo("OK\n");
        assertThat(ok(etcdctl.run(ALICE, "get", mine + "k"))).isEqualTo(mine + "k\nv\n");
        assertThat(ok(etcdctl.run(ALICE, "get", "/app/", "--prefix", "--keys-only"))).contains(mine + "k");

        assertThat(failure(etcdctl.run(ALICE, "put", notMine + "k", "v"))).isEqualTo(DENIED);
        assertThat(failure(etcdctl.run(ALICE, "get", notMine + "k"))).isEqualTo(DENIED);
        assertThat(failure(etcdctl.run(ALICE, "del", notMine + "k"))).isEqualTo(DENIED);
        assertThat(failure(etcdctl.run(ALICE, "get", "/app", "--prefix"))).as("a prefix wider than the permission")
                .isEqualTo(DENIED);
        assertThat(failure(etcdctl.run(ALICE, "get", "", "--from-key"))).isEqualTo(DENIED);
        assertThat(ok(etcdctl.run(ROOT, "get", notMine + "k"))).as("the denied put wrote nothing").isEmpty();
    }

    @Test
    void aTxnWithAnyRequestOutsideThePrefixIsDeniedAsAWhole() {
        String txn = "value(\"" + mine + "flag\") = \"1\"\n\n"
                + "put " + mine + "a 1\n\n"
                + "put " + notMine + "b 2\n\n";

        assertThat(failure(etcdctl.runWithStdin(txn, ALICE, "txn"))).as("outside, in the branch not taken")
                .isEqualTo(DENIED);
        assertThat(ok(etcdctl.run(ROOT, "get", mine + "a"))).as("nothing written").isEmpty();

        String inside = "value(\"" + mine + "flag\") = \"1\"\n\n" + "put " + mine + "a 1\n\n" + "put " + mine + "b 2\n\n";
        assertThat(ok(etcdctl.runWithStdin(inside, ALICE, "txn"))).isEqualTo("FAILURE\n\nOK\n");
        assertThat(ok(etcdctl.run(ALICE, "get", mine + "b", "--print-value-only"))).isEqualTo("2\n");
    }

    @Test
    void aWatchOutsideThePrefixIsCanceledWithPermissionDeniedAndOneInsideSeesEvents() {
        try (EtcdctlProcess outside = etcdctl.start(ALICE, "watch", "--prefix", notMine)) {
            assertThat(outside.awaitExit(WATCH_TIMEOUT)).as("etcdctl's exit status for a canceled watch").isEqualTo(5);
            assertThat(outside.stderr()).isEqualTo(
                    "watch was canceled (rpc error: code = PermissionDenied desc = etcdserver: permission denied)\n"
                            + "Error: watch is canceled by the server\n");
        }

        long revision = json(ok(etcdctl.run(ALICE, "put", mine + "w", "1", "-w", "json"))).getHeader().getRevision();
        try (EtcdctlProcess inside = etcdctl.start(ALICE, "watch", "--prefix", mine, "--rev", Long.toString(revision))) {
            assertThat(inside.awaitLineCount(3, WATCH_TIMEOUT)).containsExactly("PUT", mine + "w", "1");
        }
    }

    @Test
    void aWrongPasswordOrNoUserAtAllFailsWithEtcdsErrors() {
        assertThat(failure(etcdctl.run("--user=alice:wrong", "get", mine + "k")))
                .isEqualTo("Error: etcdserver: authentication failed, invalid user ID or password\n");
        assertThat(failure(etcdctl.run("--user=nobody:alicepw", "get", mine + "k")))
                .isEqualTo("Error: etcdserver: authentication failed, invalid user ID or password\n");
        assertThat(failure(etcdctl.run("get", mine + "k"))).isEqualTo("Error: etcdserver: user name is empty\n");
    }

    @Test
    void aUserWithoutTheRootRoleCannotAdministerAuthOrTheCluster() {
        assertThat(failure(etcdctl.run(ALICE, "auth", "disable"))).isEqualTo(DENIED);
        assertThat(failure(etcdctl.run(ALICE, "user", "add", "mallory:pw"))).isEqualTo(DENIED);
        assertThat(failure(etcdctl.run(ALICE, "user", "list"))).isEqualTo(DENIED);
        assertThat(failure(etcdctl.run(ALICE, "role", "grant-permission", "app", "readwrite", "/etc/"))).isEqualTo(DENIED);
        assertThat(failure(etcdctl.run(ALICE, "member", "add", "m9", "--peer-urls=http://127.0.0.1:9"))).isEqualTo(DENIED);
        // etcd 3.4 reports this one untranslated ("auth: permission denied"); Gantry as etcd 3.5 does
        assertThat(failure(etcdctl.run(ALICE, "defrag"))).contains("permission denied");
        assertThat(ok(etcdctl.run(ALICE, "user", "get", "alice"))).as("about itself").isEqualTo("User: alice\nRoles: app\n");
        assertThat(ok(etcdctl.run(ROOT, "user", "list"))).isEqualTo("alice\nroot\n");
    }

    @Test
    void aLeaseWithKeysTheUserCannotWriteCannotBeRevokedNorUsedByIt() {
        String lease = ok(etcdctl.run(ROOT, "lease", "grant", "600")).split(" ")[1];
        ok(etcdctl.run(ROOT, "put", notMine + "leased", "v", "--lease=" + lease));

        assertThat(failure(etcdctl.run(ALICE, "lease", "revoke", lease)))
                .isEqualTo("Error: failed to revoke lease (etcdserver: permission denied)\n");
        assertThat(failure(etcdctl.run(ALICE, "put", mine + "k", "v", "--lease=" + lease))).isEqualTo(DENIED);
        assertThat(ok(etcdctl.run(ROOT, "lease", "revoke", lease))).isEqualTo("lease " + lease + " revoked\n");
    }

    @Test
    void onTheWireAnUnknownTokenIsUnauthenticatedAndARefusedWatchIsCreatedAndCanceledWithIdMinusOne() throws Exception {
        Member member = cluster.members().get(0);
        assertThatThrownBy(() -> KVGrpc.newBlockingStub(member.channel()).withInterceptors(token("bogus"))
                .withDeadlineAfter(10, TimeUnit.SECONDS).range(RangeRequest.newBuilder().setKey(bytes(mine)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("etcdserver: invalid auth token");
                });

        String alice = AuthGrpc.newBlockingStub(member.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .authenticate(AuthenticateRequest.newBuilder().setName("alice").setPassword("alicepw").build()).getToken();
        BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
        AtomicReference<ClientCallStreamObserver<WatchRequest>> call = new AtomicReference<>();
        StreamObserver<WatchRequest> watch = WatchGrpc.newStub(member.channel()).withInterceptors(token(alice))
                .watch(new ClientResponseObserver<WatchRequest, WatchResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<WatchRequest> requests) {
                        call.set(requests);
                    }

                    @Override
                    public void onNext(WatchResponse response) {
                        responses.add(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        try {
            watch.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
                    .setKey(bytes(notMine)).setRangeEnd(bytes(notMine.substring(0, notMine.length() - 1) + "0"))).build());
            WatchResponse refused = responses.poll(WATCH_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(refused).isNotNull();
            assertThat(refused.getCreated()).isTrue();
            assertThat(refused.getCanceled()).isTrue();
            assertThat(refused.getWatchId()).isEqualTo(-1);
            assertThat(refused.getCancelReason())
                    .isEqualTo("rpc error: code = PermissionDenied desc = etcdserver: permission denied");
        } finally {
            call.get().cancel("test done", null);
        }
    }

    @Test
    void jetcdAuthenticatesAndIsHeldToTheSamePermissionsInItsKvAndLockCalls() throws Exception {
        String[] endpoints = cluster.members().stream().map(Member::clientUrl).toArray(String[]::new);
        try (Client alice = Client.builder().endpoints(endpoints).user(sequence("alice")).password(sequence("alicepw")).build()) {
            alice.getKVClient().put(sequence(mine + "j"), sequence("v")).get(JETCD_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(alice.getKVClient().get(sequence(mine + "j")).get(JETCD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .getKvs()).singleElement().satisfies(kv -> assertThat(kv.getValue()).isEqualTo(sequence("v")));

            assertThatThrownBy(() -> alice.getKVClient().put(sequence(notMine + "j"), sequence("v"))
                    .get(JETCD_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .hasStackTraceContaining("etcdserver: permission denied");
            // the lock service acts with the caller's permissions on the lock's keys
            String held = alice.getLockClient().lock(sequence(mine + "lock"), 0)
                    .get(JETCD_TIMEOUT.toSeconds(), TimeUnit.SECONDS).getKey().toString(StandardCharsets.UTF_8);
            assertThat(held).startsWith(mine + "lock/");
            alice.getLockClient().unlock(sequence(held)).get(JETCD_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThatThrownBy(() -> alice.getLockClient().lock(sequence(notMine + "lock"), 0)
                    .get(JETCD_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .hasStackTraceContaining("etcdserver: permission denied");
        }
    }

    @Test
    void rootDisablesAuthAndEnablesItAgainAndAClientWithCredentialsFollows() {
        try (KvClient alice = KvClient.connect(List.of(cluster.endpoints().split(",")), "alice", "alicepw")) {
            try {
                assertThat(ok(etcdctl.run(ROOT, "auth", "disable"))).isEqualTo("Authentication Disabled\n");
                assertThat(ok(etcdctl.run("put", notMine + "k", "v"))).as("no user needed").isEqualTo("OK\n");
                assertThat(ok(etcdctl.run(ALICE, "get", notMine + "k", "--print-value-only")))
                        .as("credentials are simply not needed").isEqualTo("v\n");
                alice.put(notMine + "client", "v"); // authenticating finds auth disabled: no token, no limits
            } finally {
                assertThat(ok(etcdctl.run(ROOT, "auth", "enable"))).isEqualTo("Authentication Enabled\n");
            }
            assertThat(failure(etcdctl.run(ALICE, "get", notMine + "k"))).isEqualTo(DENIED);
            // told "user name is empty", the client authenticates, and is held to alice's permissions again
            alice.put(mine + "client", "v");
            assertThatThrownBy(() -> alice.put(notMine + "client", "w")).isInstanceOf(KvException.class)
                    .hasMessageEndingWith("PERMISSION_DENIED: etcdserver: permission denied");
        }
    }

    @Test
    void everyMemberHasTheSameAuthStateAndKeepsItAcrossARestartAndAClientAuthenticatesAgain() {
        for (Member member : cluster.members()) {
            Etcdctl one = Etcdctl.of(member);
            assertThat(ok(one.run(ROOT, "user", "list"))).as("users on %s", member).isEqualTo("alice\nroot\n");
            assertThat(ok(one.run(ROOT, "role", "get", "app"))).as("role app on %s", member)
                    .isEqualTo("Role app\nKV Read:\n\t[/app/, /app0) (prefix /app/)\nKV Write:\n\t[/app/, /app0) (prefix /app/)\n");
        }
        Member restarted = cluster.members().get(1);
        Etcdctl viaRestarted = Etcdctl.of(restarted);
        try (KvClient alice = KvClient.connect(List.of(restarted.clientUrl()), "alice", "alicepw")) {
            alice.put(mine + "before", "1");

            cluster.stop(restarted);
            cluster.restart(restarted);

            Await.until(restarted + " serving linearizable reads again", RESTART_TIMEOUT,
                    () -> viaRestarted.run(ROOT, "get", mine + "before").succeeded() ? Optional.of(true) : Optional.empty(),
                    () -> cluster.logTails(Cluster.LOG_TAIL_LINES));

            // the member forgot the client's token: the client authenticates again and carries on
            alice.put(mine + "after", "2");
            assertThat(alice.get(mine + "before")).map(kv -> kv.value()).contains("1");
        }
        assertThat(ok(viaRestarted.run(ROOT, "user", "list"))).isEqualTo("alice\nroot\n");
        assertThat(ok(viaRestarted.run(ALICE, "get", mine + "after", "--print-value-only"))).isEqualTo("2\n");
        assertThat(failure(viaRestarted.run(ALICE, "get", notMine + "k"))).isEqualTo(DENIED);
        assertThat(failure(viaRestarted.run("get", mine + "after"))).isEqualTo("Error: etcdserver: user name is empty\n");
    }

    static String ok(Result result) {
        assertThat(result.exitCode()).as("%s", result).isZero();
        return result.stdout();
    }

    /** What etcdctl printed on stderr for a command that failed (its warning log lines left out). */
    private static String failure(Result result) {
        assertThat(result.exitCode()).as("%s", result).isNotZero();
        return result.stderr().lines().filter(line -> !line.startsWith("{\"level\""))
                .map(line -> line + "\n").reduce("", String::concat);
    }

    /** Sends {@code token} as etcd's clients do, in the call's {@code token} metadata. */
    private static ClientInterceptor token(String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER), token);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    private static ByteString bytes(String text) {
        return ByteString.copyFromUtf8(text);
    }

    private static ByteSequence sequence(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static PutResponse json(String text) {
        PutResponse.Builder response = PutResponse.newBuilder();
        try {
            JsonFormat.parser().ignoringUnknownFields().merge(text, response);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not a PutResponse: " + text, e);
        }
        return response.build();
    }
}
