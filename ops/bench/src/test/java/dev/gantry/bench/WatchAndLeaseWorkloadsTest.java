package dev.gantry.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The watch and keepalive workloads against {@link FakeEtcd}: what they count, and what they check. */
class WatchAndLeaseWorkloadsTest {

    private FakeEtcd etcd;

    @BeforeEach
    void start() throws Exception {
        etcd = new FakeEtcd();
    }

    @AfterEach
    void stop() throws Exception {
        etcd.close();
    }

    @Test
    void everyWatcherGetsEveryEventOnce() throws Exception {
        RunReport report = run("watch", "--watchers", "20", "--streams", "3", "--rate", "200", "--warmup", "50", "--total", "100");

        assertThat(report.requests()).isEqualTo(20 * 100);
        assertThat(report.throughput()).isPositive();
        assertThat(report.errors()).isZero();
        assertThat(report.extra())
                .containsEntry("watchers", 20)
                .containsEntry("streams", 3)
                .containsEntry("puts", 100L)
                .containsEntry("expected_events", 2000L)
                .containsEntry("missed", 0L)
                .containsEntry("duplicates", 0L)
                .containsEntry("out_of_order", 0L)
                .containsEntry("unexpected", 0L)
                .containsEntry("stream_errors", 0L);
    }

    @Test
    void aMissedAndADuplicatedEventAreCounted() throws Exception {
        etcd.dropEvent = 10;  // the first put is revision 2
        etcd.duplicateEvent = 20;

        RunReport report = run("watch", "--watchers", "5", "--streams", "2", "--rate", "500", "--warmup", "0", "--total", "50");

        assertThat(report.extra()).containsEntry("missed", 1L).containsEntry("duplicates", 1L);
        assertThat(report.requests()).isEqualTo(5 * 50 - 1);
    }

    @Test
    void keepAlivesRunClosedLoopAndTheLeasesAreRevokedAfterwards() throws Exception {
        RunReport report = run("keepalive", "--leases", "50", "--streams", "5", "--window", "3", "--warmup", "100", "--total", "500");

        assertThat(report.requests()).isGreaterThanOrEqualTo(500);
        assertThat(report.errors()).isZero();
        assertThat(report.clients()).isEqualTo(5);
        assertThat(report.extra()).containsEntry("leases", 50L).containsEntry("window", 3).containsEntry("expired", 0L);
        assertThat(etcd.leaseCount()).isZero();
    }

    @Test
    void anExpiredLeaseIsAFailedKeepAlive() throws Exception {
        etcd.expireAll = true;

        RunReport report = run("keepalive", "--leases", "10", "--streams", "2", "--warmup", "0", "--total", "20");

        assertThat(report.errors()).isGreaterThanOrEqualTo(20);
        assertThat((Long) report.extra().get("expired")).isGreaterThanOrEqualTo(20L);
    }

    @Test
    void watchAndKeepaliveDefaults() {
        BenchOptions watch = BenchOptions.parse("watch");
        assertThat(watch.watchers()).isEqualTo(1000);
        assertThat(watch.streams()).isEqualTo(10);
        assertThat(watch.conns()).isEqualTo(10);
        assertThat(watch.rate()).isEqualTo(100);
        assertThat(watch.writerEndpoint()).isEqualTo("127.0.0.1:2379");

        BenchOptions keepalive = BenchOptions.parse("keepalive", "--endpoints", "a:1,b:2");
        assertThat(keepalive.leases()).isEqualTo(10_000);
        assertThat(keepalive.streams()).isEqualTo(100);
        assertThat(keepalive.conns()).isEqualTo(10);
        assertThat(keepalive.window()).isEqualTo(1);
        assertThat(keepalive.ttlSeconds()).isEqualTo(300);

        assertThat(BenchOptions.parse("put", "--clients", "100").conns()).isEqualTo(10);
    }

    @Test
    void badWatchAndKeepaliveOptionsAreRefused() {
        assertThatThrownBy(() -> BenchOptions.parse("watch", "--value-size", "8"))
                .hasMessageContaining("--value-size must be at least 16");
        assertThatThrownBy(() -> BenchOptions.parse("keepalive", "--leases", "10", "--streams", "5", "--window", "3"))
                .hasMessageContaining("--leases (10) must be at least --streams x --window");
        assertThatThrownBy(() -> BenchOptions.parse("watch", "--rate", "0")).hasMessageContaining("--rate");
    }

    @Test
    void jsonCarriesTheExtraFields() throws Exception {
        RunReport report = run("watch", "--watchers", "2", "--streams", "1", "--rate", "100", "--warmup", "0", "--total", "5");

        assertThat(report.toJson())
                .startsWith("{\"workload\":\"watch\",")
                .contains("\"missed\":0,", "\"rate\":100.000,")
                .endsWith("}");
    }

    private RunReport run(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--endpoints", etcd.endpoint(), "--timeout", "5s"));
        BenchOptions options = BenchOptions.parse(all.toArray(String[]::new));
        try (Connections connections = Connections.open(options.endpoints(), options.conns())) {
            return options.workload().equals("watch")
                    ? new WatchFanOut(options, connections, ByteString.copyFrom(new byte[options.valueSize()])).run()
                    : new KeepAliveRun(options, connections).run();
        }
    }
}
