package dev.gantry.reliability.it;

import com.google.protobuf.Message;
import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.kv.api.election.ElectionGrpc;
import dev.gantry.kv.api.etcd.AlarmRequest;
import dev.gantry.kv.api.etcd.AlarmResponse;
import dev.gantry.kv.api.etcd.AuthGrpc;
import dev.gantry.kv.api.etcd.ClusterGrpc;
import dev.gantry.kv.api.etcd.HashKVRequest;
import dev.gantry.kv.api.etcd.KVGrpc;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.LeaseGrpc;
import dev.gantry.kv.api.etcd.LeaseLeasesRequest;
import dev.gantry.kv.api.etcd.MaintenanceGrpc;
import dev.gantry.kv.api.etcd.MemberListRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.api.etcd.WatchGrpc;
import dev.gantry.kv.api.etcd.WatchProgressRequest;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.lock.LockGrpc;
import dev.gantry.reliability.fuzz.JsonFuzzer;
import dev.gantry.reliability.fuzz.MessageFuzzer;
import dev.gantry.reliability.fuzz.RawCaller;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.HexFormat;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input on every etcd gRPC method (unary and streaming) of every member of a 3-member cluster, then on every HTTP
 * endpoint: no member crashes, no call hangs past its deadline, and requests that do not even parse change nothing
 * (revision, HashKV, members, leases, alarms identical before and after); Gantry refuses them with INVALID_ARGUMENT.
 * Then random messages with random field values, and their bytes mutated, which a server may accept: no call of
 * Gantry's ends INTERNAL, and afterwards every member still answers and the cluster still writes and reads.
 */
class FuzzIT {

    /** Every service of the etcd v3 API (etcd's own protos), including those Gantry answers with UNIMPLEMENTED. */
    static final List<ServiceDescriptor> SERVICES = List.of(KVGrpc.getServiceDescriptor(), WatchGrpc.getServiceDescriptor(),
            LeaseGrpc.getServiceDescriptor(), ClusterGrpc.getServiceDescriptor(), MaintenanceGrpc.getServiceDescriptor(),
            AuthGrpc.getServiceDescriptor(), LockGrpc.getServiceDescriptor(), ElectionGrpc.getServiceDescriptor());

    /**
     * The HTTP endpoints on Gantry's HTTP port (docs/architecture.md, "Ports"). Add each REST endpoint here as it is
     * built; every one gets random JSON with every method.
     */
    static final List<String> HTTP_ENDPOINTS = List.of("/health", "/metrics", "/q/health/live", "/q/health/ready");

    private static final int INVALID_PER_METHOD = 15;
    private static final int RANDOM_PER_METHOD = 15;
    private static final long DEADLINE_MS = 1500;
    private final Random random = new Random(Long.getLong("fuzz.seed", System.nanoTime()));

    @Test
    void badInputNeitherCrashesNorHangsNorChangesState() throws Exception {
        Implementation implementation = Implementation.fromSystemProperty();
        try (Cluster cluster = Cluster.start(implementation, 3)) {
            Member leader = cluster.leader();
            KVGrpc.newBlockingStub(leader.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .put(PutRequest.newBuilder().setKey(bytes("/fuzz/seed")).setValue(bytes("v")).build());
            LeaseGrpc.newBlockingStub(leader.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(600).build());
            String before = state(cluster);

            Map<String, AtomicLong> invalidEndings = fuzz(cluster, true);
            assertThat(invalidEndings).as("how unparseable requests ended").doesNotContainKey("DEADLINE_EXCEEDED");
            if (implementation == Implementation.GANTRY) {
                // etcd (grpc-go) answers INTERNAL "grpc: error unmarshalling request"; Gantry says whose fault it is
                assertThat(badWatchRequestsLeaveTheConnectionAlone(leader)).as("Watch refusals").containsOnlyKeys("INVALID_ARGUMENT");
                assertThat(invalidEndings.keySet()).as("how unparseable requests ended")
                        .isSubsetOf("INVALID_ARGUMENT", "UNIMPLEMENTED");
            }
            assertThat(state(cluster)).as("state after unparseable requests").isEqualTo(before);

            if (implementation == Implementation.GANTRY) {
                Map<Integer, Integer> httpCodes = fuzzHttp(cluster);
                System.out.println("fuzz: HTTP status codes " + httpCodes);
                assertThat(httpCodes.keySet()).as("HTTP status codes").allMatch(code -> code < 500);
                assertThat(state(cluster)).as("state after random JSON").isEqualTo(before);
            }

            Map<String, AtomicLong> randomEndings = fuzz(cluster, false);
            if (implementation == Implementation.GANTRY) {
                assertThat(internal).as("calls that ended INTERNAL (the server broke, or broke the connection)").isEmpty();
            }
            for (Member member : cluster.members()) {
                assertThat(member.isRunning()).as("%s running", member).isTrue();
            }
            disarmAlarms(leader); // a random Alarm ACTIVATE may have been accepted: that is a legal state change
            for (Member member : cluster.members()) {
                Await.until(member + " writing and reading", Duration.ofSeconds(60), () -> {
                    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(member.channel()).withDeadlineAfter(5, TimeUnit.SECONDS);
                    kv.put(PutRequest.newBuilder().setKey(bytes("/fuzz/after/" + member.name())).setValue(bytes("ok")).build());
                    return kv.range(RangeRequest.newBuilder().setKey(bytes("/fuzz/after/" + member.name())).build())
                            .getKvsCount() == 1 ? Optional.of(true) : Optional.empty();
                }, () -> member.logTail(40));
            }
            System.out.println("fuzz: " + implementation + ": unparseable " + invalidEndings + "; random and mutated "
                    + randomEndings + "; every member up and serving");
        }
    }

    /** Calls that ended INTERNAL: the server broke, not the request (with the method and the requests' bytes). */
    private final Queue<String> internal = new ConcurrentLinkedQueue<>();

    /** Sends bad requests to every method of every service, spread over the members, and counts how calls ended. */
    private Map<String, AtomicLong> fuzz(Cluster cluster, boolean unparseableOnly) throws Exception {
        Map<String, AtomicLong> endings = new ConcurrentHashMap<>();
        List<Member> members = cluster.members();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (ServiceDescriptor service : SERVICES) {
                for (MethodDescriptor<?, ?> method : service.getMethods()) {
                    Message prototype = (Message) ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller())
                            .getMessagePrototype();
                    MethodDescriptor<byte[], byte[]> raw = RawCaller.raw(method);
                    int n = unparseableOnly ? INVALID_PER_METHOD : RANDOM_PER_METHOD;
                    for (int i = 0; i < n; i++) {
                        MessageFuzzer fuzzer = new MessageFuzzer(prototype, new Random(random.nextLong()));
                        Member member = members.get(i % members.size());
                        List<byte[]> messages = new ArrayList<>();
                        int count = 1 + random.nextInt(3);
                        for (int m = 0; m < count; m++) {
                            messages.add(unparseableOnly ? fuzzer.unparseable()
                                    : (m % 2 == 0 ? fuzzer.randomMessage().toByteArray() : fuzzer.mutated()));
                        }
                        calls.add(pool.submit(() -> {
                            RawCaller.Ending ending = RawCaller.call(member.channel(), raw, messages, DEADLINE_MS);
                            String code = ending.status().getCode().name();
                            endings.computeIfAbsent(code, c -> new AtomicLong()).incrementAndGet();
                            if (ending.status().getCode() == Status.Code.INTERNAL) {
                                internal.add(raw.getFullMethodName() + " on " + member + ": " + ending.status().getDescription()
                                        + ", requests " + messages.stream().map(HexFormat.of()::formatHex).toList());
                            }
                            if (unparseableOnly && ending.status().getCode() == Status.Code.DEADLINE_EXCEEDED) {
                                System.out.println("fuzz: " + raw.getFullMethodName() + " on " + member + " hung: " + ending);
                            }
                        }));
                    }
                }
            }
            for (Future<?> call : calls) {
                call.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return new TreeMap<>(endings);
    }

    /**
     * A Watch stream that was answered (a progress request) and then gets bytes that do not parse, many times over
     * on one connection while unary calls share it: each Watch must be refused, and no other call may fail. Gantry
     * once wrote the progress response after grpc-java had closed the stream over the bad request: the client took
     * the late headers for an HTTP/2 protocol error and dropped the connection with every call on it (INTERNAL).
     * Returns how the Watch calls ended.
     */
    private Map<String, Long> badWatchRequestsLeaveTheConnectionAlone(Member member) throws Exception {
        MethodDescriptor<byte[], byte[]> watch = RawCaller.raw(WatchGrpc.getWatchMethod());
        byte[] progress = WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build()
                .toByteArray();
        byte[] garbage = {(byte) 0xff, 0x01};
        Map<String, Long> endings = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) { // the race was narrow: random fuzzing hit it about once in a hundred Watch calls
                calls.add(pool.submit(() -> endings.merge(RawCaller.call(member.channel(), watch, List.of(progress, garbage),
                        DEADLINE_MS).status().getCode().name(), 1L, Long::sum)));
                calls.add(pool.submit(() -> MaintenanceGrpc.newBlockingStub(member.channel())
                        .withDeadlineAfter(10, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance())));
            }
            for (Future<?> call : calls) {
                call.get(60, TimeUnit.SECONDS); // a Status call that failed throws here
            }
        } finally {
            pool.shutdownNow();
        }
        return endings;
    }

    /** Random JSON with every HTTP method to every endpoint (and below it) of every member: the codes seen. */
    private Map<Integer, Integer> fuzzHttp(Cluster cluster) throws Exception {
        JsonFuzzer json = new JsonFuzzer(random);
        Map<Integer, Integer> codes = new TreeMap<>();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            for (Member member : cluster.members()) {
                for (String endpoint : HTTP_ENDPOINTS) {
                    for (String method : List.of("GET", "POST", "PUT", "DELETE", "PATCH")) {
                        for (int i = 0; i < 4; i++) {
                            String path = endpoint + (i == 3 ? "/" + random.nextInt(1000) + "?x=%ff" : "");
                            HttpRequest request = HttpRequest.newBuilder(URI.create(member.httpUrl() + path))
                                    .timeout(Duration.ofSeconds(5))
                                    .header("Content-Type", "application/json")
                                    .method(method, HttpRequest.BodyPublishers.ofString(json.document(), StandardCharsets.UTF_8))
                                    .build();
                            int code = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                            codes.merge(code, 1, Integer::sum);
                        }
                    }
                }
            }
        }
        return codes;
    }

    /**
     * Everything a request could change, per member, once the members agree on the revision: revision, HashKV,
     * members, leases, alarms.
     */
    private static String state(Cluster cluster) {
        return Await.until("members agreeing on a revision", Duration.ofSeconds(30), () -> {
            List<String> states = new ArrayList<>();
            for (Member member : cluster.members()) {
                long revision = MaintenanceGrpc.newBlockingStub(member.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .status(StatusRequest.getDefaultInstance()).getHeader().getRevision();
                long hash = MaintenanceGrpc.newBlockingStub(member.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .hashKV(HashKVRequest.newBuilder().setRevision(revision).build()).getHash();
                String members = ClusterGrpc.newBlockingStub(member.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .memberList(MemberListRequest.getDefaultInstance()).getMembersList().stream()
                        .map(m -> Long.toHexString(m.getID()) + m.getPeerURLsList()).sorted().collect(Collectors.joining(","));
                String leases = LeaseGrpc.newBlockingStub(member.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .leaseLeases(LeaseLeasesRequest.getDefaultInstance()).getLeasesList().stream()
                        .map(l -> Long.toHexString(l.getID())).sorted().collect(Collectors.joining(","));
                AlarmResponse alarms = MaintenanceGrpc.newBlockingStub(member.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .alarm(AlarmRequest.newBuilder().setAction(AlarmRequest.AlarmAction.GET).build());
                states.add("rev " + revision + " hash " + Long.toHexString(hash) + " members [" + members + "] leases ["
                        + leases + "] alarms " + alarms.getAlarmsCount());
            }
            return states.stream().distinct().count() == 1 ? Optional.of(states.getFirst()) : Optional.empty();
        }, () -> cluster.logTails(20));
    }

    private static void disarmAlarms(Member member) {
        MaintenanceGrpc.MaintenanceBlockingStub maintenance = MaintenanceGrpc.newBlockingStub(member.channel());
        AlarmResponse alarms = maintenance.withDeadlineAfter(5, TimeUnit.SECONDS)
                .alarm(AlarmRequest.newBuilder().setAction(AlarmRequest.AlarmAction.GET).build());
        alarms.getAlarmsList().forEach(alarm -> maintenance.withDeadlineAfter(5, TimeUnit.SECONDS)
                .alarm(AlarmRequest.newBuilder().setAction(AlarmRequest.AlarmAction.DEACTIVATE)
                        .setMemberID(alarm.getMemberID()).setAlarm(alarm.getAlarm()).build()));
    }

    private static com.google.protobuf.ByteString bytes(String s) {
        return com.google.protobuf.ByteString.copyFromUtf8(s);
    }

}
