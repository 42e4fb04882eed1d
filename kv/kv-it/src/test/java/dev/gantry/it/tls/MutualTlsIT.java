package dev.gantry.it.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.ClusterTls;
import dev.gantry.it.cluster.Etcdctl;
import dev.gantry.it.cluster.Etcdctl.Result;
import dev.gantry.it.cluster.GantryCli;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.it.cluster.MemberHttp;
import dev.gantry.it.cluster.TestPki;
import dev.gantry.kv.client.TlsOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;

/**
 * A 3-member cluster with mutual TLS on both sides, as etcd's security guide sets one up: every member serves a
 * certificate signed by the test CA, requires client certificates signed by it ({@code --client-cert-auth}) and does
 * the same between members ({@code --peer-client-cert-auth}). That the cluster elects a leader and replicates writes
 * made through followers shows Raft and Gantry's forwarding run over the peers' TLS. Clients: the real etcdctl 3.4,
 * jetcd, HTTPS for {@code /health}, and Gantry's CLI. Run with {@code -Dit.impl=etcd}, the tests that do not
 * concern Gantry's own listeners pass against etcd 3.4: the behaviour is etcd's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MutualTlsIT {
    /** etcdctl gives up on a server that refuses it after this (it retries until then; its own default is 5 s). */
    private static final List<String> SHORT_TIMEOUTS = List.of("--dial-timeout=1s", "--command-timeout=2s");

    @TempDir
    static Path pkiDir;
    private TestPki pki;
    private TestPki.Issued alice;
    private TestPki.Issued mallory;
    private Cluster cluster;

    @BeforeAll
    void startCluster() {
        pki = TestPki.create(pkiDir.resolve("ca"), "gantry-test-ca");
        TestPki.Issued member = pki.member("member");
        alice = pki.client("alice");
        mallory = TestPki.create(pkiDir.resolve("other-ca"), "other-ca").client("mallory");
        cluster = Cluster.start(Implementation.fromSystemProperty(), 3,
                ClusterTls.mutual(pki.caCert(), member.cert(), member.key(), alice.cert(), alice.key()));
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void etcdctlWithAClientCertificateWritesThroughOneMemberAndReadsThroughAnother() {
        List<Member> members = cluster.members();

        assertThat(ok(Etcdctl.of(members.get(0)).run("put", "/mtls/k", "v1"))).isEqualTo("OK\n");
        assertThat(ok(Etcdctl.of(members.get(1)).run("get", "/mtls/k"))).isEqualTo("/mtls/k\nv1\n");
        assertThat(ok(Etcdctl.of(members.get(2)).run("get", "/mtls/k", "--print-value-only"))).isEqualTo("v1\n");
    }

    @Test
    void endpointStatusOfTheClusterReachesEveryMemberOverHttps() {
        // --cluster: etcdctl asks for the member list, then dials each advertised client URL
        String status = ok(Etcdctl.of(cluster.members().get(0)).run("endpoint", "status", "--cluster"));

        List<String> lines = status.lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines).allSatisfy(line -> assertThat(line).startsWith("https://127.0.0.1:"));
        assertThat(lines.stream().map(line -> line.substring(0, line.indexOf(','))))
                .containsExactlyInAnyOrderElementsOf(cluster.members().stream().map(Member::clientUrl).toList());
        assertThat(lines.stream().filter(line -> line.contains(", true, false, "))).as("one leader, no learner").hasSize(1);
    }

    @Test
    void jetcdConnectsWithTheCaAndAClientCertificate() throws Exception {
        SslContext tls = GrpcSslContexts.forClient().trustManager(pki.caCert().toFile())
                .keyManager(alice.cert().toFile(), alice.key().toFile()).build();
        String[] endpoints = cluster.members().stream().map(Member::clientUrl).toArray(String[]::new);
        try (Client jetcd = Client.builder().endpoints(endpoints).sslContext(tls).build()) {
            ByteSequence key = ByteSequence.from("/mtls/jetcd", StandardCharsets.UTF_8);
            jetcd.getKVClient().put(key, ByteSequence.from("v", StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);

            assertThat(jetcd.getKVClient().get(key).get(30, TimeUnit.SECONDS).getKvs()).singleElement()
                    .satisfies(kv -> assertThat(kv.getValue().toString(StandardCharsets.UTF_8)).isEqualTo("v"));
        }
    }

    @Test
    void aClientWithoutACertificateIsRefused() {
        Result refused = etcdctl(List.of("--cacert=" + pki.caCert())).run("put", "/mtls/no-cert", "x");

        assertThat(refused.exitCode()).as(refused.toString()).isNotZero();
        assertThat(ok(Etcdctl.of(cluster).run("get", "/mtls/no-cert"))).as("the refused put").isEmpty();
    }

    @Test
    void aClientCertificateFromAnotherCaIsRefused() {
        Result refused = etcdctl(List.of("--cacert=" + pki.caCert(), "--cert=" + mallory.cert(), "--key=" + mallory.key()))
                .run("put", "/mtls/other-ca", "x");

        assertThat(refused.exitCode()).as(refused.toString()).isNotZero();
        assertThat(ok(Etcdctl.of(cluster).run("get", "/mtls/other-ca"))).as("the refused put").isEmpty();
    }

    @Test
    void plainHttpIsNotServed() {
        String plain = cluster.members().get(0).clientUrl().replace("https://", "http://");
        Result refused = new Etcdctl(plain, SHORT_TIMEOUTS).run("get", "/mtls/k");

        assertThat(refused.exitCode()).as(refused.toString()).isNotZero();
    }

    @Test
    void healthIsServedOverHttpsWithTheMembersCertificateAndRequiresAClientCertificate() throws Exception {
        Member member = cluster.members().get(0);
        assertThat(MemberHttp.health(cluster, member)).contains("\"health\":\"true\"");
        assumeTrue(cluster.implementation() == Implementation.GANTRY, "Gantry's HTTP listener");

        HttpResponse<String> health = get(member.httpUrl() + "/health", new TlsOptions(pki.caCert(), alice.cert(), alice.key()));
        X509Certificate served = (X509Certificate) health.sslSession().orElseThrow().getPeerCertificates()[0];
        assertThat(served.getSubjectX500Principal().getName()).isEqualTo("CN=member");
        assertThat(health.body().replace(" ", "")).contains("\"health\":\"true\"");

        assertThatThrownBy(() -> get(member.httpUrl() + "/health", new TlsOptions(pki.caCert(), null, null)))
                .as("HTTPS without a client certificate").isInstanceOf(IOException.class);
    }

    @Test
    void thePeerPortServesTlsAndRequiresAPeerCertificate() throws Exception {
        assumeTrue(cluster.implementation() == Implementation.GANTRY, "Gantry's peer port");
        Member member = cluster.members().get(0);
        int peerPort = URI.create(member.peerUrl()).getPort();

        try (SSLSocket withCertificate = tlsSocket(peerPort, new TlsOptions(pki.caCert(), cluster.tls().memberCert(),
                cluster.tls().memberKey()))) {
            assertThat(withCertificate.getApplicationProtocol()).as("ALPN").isEqualTo("h2");
            assertThat(firstBytesAfterHttp2Preface(withCertificate)).as("the server's HTTP/2 SETTINGS frame").isPositive();
        }
        try (SSLSocket withoutCertificate = tlsSocket(peerPort, new TlsOptions(pki.caCert(), null, null))) {
            assertThatThrownBy(() -> firstBytesAfterHttp2Preface(withoutCertificate))
                    .as("a peer without a certificate").isInstanceOf(IOException.class);
        } catch (IOException refusedDuringHandshake) {
            // TLS 1.2 refuses in the handshake itself, TLS 1.3 at the first read: both are a refusal
        }
    }

    @Test
    void theCliUsesEtcdctlsTlsFlagsForTheKvAndForTheApi() {
        assumeTrue(cluster.implementation() == Implementation.GANTRY, "Gantry's CLI and REST API");
        Member member = cluster.members().get(1);
        List<String> tls = List.of("--cacert", pki.caCert().toString(), "--cert", alice.cert().toString(),
                "--key", alice.key().toString());

        GantryCli.Run put = cli(Map.of(), concat(List.of("kv", "put", "/mtls/cli", "hello", "--endpoints", cluster.endpoints()), tls));
        assertThat(put.stdout()).as(put.toString()).startsWith("OK (revision ");
        assertThat(ok(Etcdctl.of(member).run("get", "/mtls/cli", "--print-value-only"))).isEqualTo("hello\n");
        // the REST API reads through the server's own client, which connects to its member with TLS as well
        GantryCli.Run nodes = cli(Map.of(), concat(List.of("node", "ls", "-o", "json", "--server", member.httpUrl()), tls));
        assertThat(nodes.exitCode()).as(nodes.toString()).isZero();
        assertThat(nodes.stdout()).contains("\"items\"");

        GantryCli.Run noCertificate = cli(Map.of("GANTRY_CACERT", pki.caCert().toString()),
                List.of("node", "ls", "--server", member.httpUrl()));
        assertThat(noCertificate.exitCode()).as(noCertificate.toString()).isEqualTo(1);
        assertThat(noCertificate.stderr()).contains("TLS with " + member.httpUrl() + " failed");
    }

    private GantryCli.Run cli(Map<String, String> env, List<String> args) {
        return GantryCli.run(pkiDir, env, args);
    }

    private Etcdctl etcdctl(List<String> tlsFlags) {
        return new Etcdctl(cluster.endpoints(), concat(tlsFlags, SHORT_TIMEOUTS));
    }

    private static HttpResponse<String> get(String url, TlsOptions tls) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().sslContext(tls.sslContext()).connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static SSLSocket tlsSocket(int port, TlsOptions tls) throws IOException {
        SSLContext context = tls.sslContext();
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"h2"});
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    /** Sends the HTTP/2 client preface and an empty SETTINGS frame; returns how many bytes the server answered. */
    private static int firstBytesAfterHttp2Preface(SSLSocket socket) throws IOException {
        socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        byte[] frame = new byte[9];
        int n = in.read(frame);
        if (n < 0) {
            throw new IOException("closed by the server");
        }
        return n;
    }

    private static String ok(Result result) {
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return result.stdout();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
