package dev.gantry.it.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.microsoft.playwright.Page;

import dev.gantry.it.cluster.Await;
import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Node;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.kv.client.Txn;

/**
 * The console with 1,000 jobs and 100 nodes (8 GPUs each): the jobs table pages and sorts them, and the first
 * render of each page is measured in the browser (from navigation start to the page's own "rendered" mark) and
 * written to target/console-render-times.txt; docs/benchmarks.md reports it. The figures are not asserted: timing
 * on a shared machine is not a test.
 *
 * <p>The store is filled directly, with tasks moved through {@link Lifecycle} as the scheduler and agents would:
 * 800 finished, 100 running (their assignments written too), 100 pending on a GPU model no node has, so that the
 * scheduler leaves them alone while the pages are measured.
 */
class ConsoleScaleIT {
    private static final int NODES = 100;
    private static final int GPUS_PER_NODE = 8;
    private static final int JOBS = 1000;
    private static final int RUNNING = 100;
    private static final int PENDING = 100;

    private static GantryServer server;
    private static ConsoleBrowser browser;
    private static long lease;

    @BeforeAll
    static void fill() {
        server = GantryServer.start();
        lease = server.kv.grantLease(600);
        Instant now = Instant.now();
        List<Runnable> writes = new ArrayList<>();
        Txn txn = server.kv.txn();
        int ops = 0;
        for (int n = 0; n < NODES; n++) {
            String id = String.format("gpu-%03d", n);
            int node = n;
            List<Node.Gpu> gpus = IntStream.range(0, GPUS_PER_NODE).mapToObj(i -> new Node.Gpu(i, "GPU-" + id + "-" + i,
                    node % 2 == 0 ? "NVIDIA H100 80GB HBM3" : "NVIDIA A100-SXM4-80GB", 81559L, i < 2 ? 60000L : 0L,
                    i < 2 ? 93 : 0, i < 2 ? 71 : 33, i < 2 ? 610.0 : 70.0, !(node == 7 && i == 5))).toList();
            txn.put(Keys.node(id), Json.write(new Node(id, id + ".cluster.local", gpus, false, 96, 1024L * 1024,
                    Map.of("rack", "r" + n / 10), "0.1.0", now, now)), lease);
            if (++ops == 100) {
                commit(txn);
                txn = server.kv.txn();
                ops = 0;
            }
        }
        for (int j = 0; j < JOBS; j++) {
            Task task = task(j, now);
            txn.put(Keys.task(task.id()), Json.write(task));
            ops++;
            if (task.node() != null && !task.status().isTerminal()) {
                txn.put(Keys.assignment(task.node(), task.id()), Json.write(Assignment.of(task)));
                ops++;
            }
            if (ops >= 100) {
                commit(txn);
                txn = server.kv.txn();
                ops = 0;
            }
        }
        commit(txn);
        Await.until("1000 jobs and 100 nodes in the views", GantryServer.AWAIT, () -> Optional.of(server.json("/api/v1/views/overview"))
                .filter(o -> o.get("jobsTotal").asInt() == JOBS && o.at("/nodes/total").asInt() == NODES), () -> "");
        browser = ConsoleBrowser.open(server.url());
    }

    private static void commit(Txn txn) {
        Assertions.assertThat(txn.commit().succeeded()).isTrue();
    }

    /** Job {@code j}: running on a node, pending on a B200 no node has, or finished (succeeded, failed, cancelled). */
    private static Task task(int j, Instant now) {
        String name = List.of("qwen-lora", "llama-sft", "mistral-qlora", "gemma-full", "phi-lora").get(j % 5);
        boolean pending = j % 10 == 1;
        TaskSpec spec = new TaskSpec(name, "org/" + name + "-base", List.of("data/set-" + j % 7 + "#1000"), j % 3 == 0 ? "qlora" : "lora",
                null, new TaskSpec.Resources(j % 4 == 0 ? 2 : 1, pending ? "B200" : null, null), j % 100, 3, null, Map.of(),
                Map.of("team", j % 2 == 0 ? "nlp" : "vision")).withDefaults();
        Instant created = now.minusSeconds(JOBS - j);
        Task task = Task.submitted(String.format("%s-%05d", name, j), spec, "bench", created);
        if (pending) {
            return Lifecycle.pendingReason(task, "no node has a free B200 GPU", created);
        }
        // The 100 running jobs (j % 10 == 3) land on 100 different nodes, holding their first GPUs.
        String node = String.format("gpu-%03d", j / 10 % NODES);
        List<String> gpus = IntStream.range(0, spec.gpus()).mapToObj(i -> "GPU-" + node + "-" + i).toList();
        task = Lifecycle.start(Lifecycle.schedule(task, node, gpus, created.plusMillis(200)), created.plusSeconds(1));
        task = Lifecycle.progress(task, SimulatedAgent.progress(j % 50 + 1, 60), created.plusSeconds(2));
        if (j % 10 == 3) {
            return task; // running: 100 of them
        }
        Instant finished = created.plusSeconds(30).isAfter(now) ? now : created.plusSeconds(30);
        return switch (j % 20) {
            case 5 -> Lifecycle.finish(task, 1, "exited with code 1: CUDA out of memory", finished);
            case 7 -> Lifecycle.cancel(task, "superseded", finished);
            default -> Lifecycle.finish(task, 0, null, finished);
        };
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void pagesWithAThousandJobsAndAHundredNodes() throws IOException {
        Page page = browser.newPage();
        List<String> report = new ArrayList<>();

        // Cold: a first visit (no cache), which loads the console's files too; the first one also warms the browser up.
        List<Double> cold = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Page first = browser.coldPage();
            cold.add(render(first, "/#/jobs", "gantry:jobs-rendered"));
            assertThat(first.locator("#jobs-table tbody tr")).hasCount(50);
            first.context().close();
        }
        // Warm: the files cached, as on every later visit.
        render(page, "/#/jobs", "gantry:jobs-rendered");
        List<Double> warm = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            warm.add(render(page, "/#/jobs", "gantry:jobs-rendered"));
        }
        assertThat(page.locator("#jobs-table tbody tr")).hasCount(50);
        assertThat(page.locator(".pager .count")).hasText("1–50 of 1,000 jobs");
        report.add(String.format("jobs page (1,000 jobs), first render: %.0f ms on the browser's very first visit; %.0f ms median of 3 more"
                + " first visits (nothing cached); %.0f ms median of 5 visits with the files cached; all in ms: %s %s",
                cold.getFirst(), median(cold.subList(1, cold.size())), median(warm), round(cold), round(warm)));
        browser.screenshot(page, "jobs-1000");

        page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON,
                new Page.GetByRoleOptions().setName("Next page")).click();
        assertThat(page.locator(".pager .count")).hasText("51–100 of 1,000 jobs");
        page.locator("[data-status-filter=RUNNING]").click();
        assertThat(page.locator(".pager .count")).hasText("1–50 of " + RUNNING + " jobs");
        page.locator("[data-status-filter=PENDING]").click();
        assertThat(page.locator(".pager .count")).hasText("1–50 of " + (RUNNING + PENDING) + " jobs");
        page.locator("th[data-column=priority] button").click();
        assertThat(page.locator("th[data-column=priority]")).hasAttribute("aria-sort", "descending");
        int highest = IntStream.range(0, JOBS).filter(j -> j % 10 == 1 || j % 10 == 3).map(j -> j % 100).max().orElseThrow();
        assertThat(page.locator("#jobs-table tbody tr").first().locator("td.num")).hasText(String.valueOf(highest));

        double overview = render(page, "/#/", "gantry:overview-rendered");
        assertThat(page.locator("[data-stat=gpus] .value")).hasText(RUNNING + " / " + NODES * GPUS_PER_NODE);
        assertThat(page.locator("[data-stat=nodes] .value")).hasText("100 / 100");
        report.add(String.format("overview (1,000 jobs, 100 nodes), first render: %.0f ms (files cached)", overview));
        browser.screenshot(page, "overview-scale");

        double nodes = render(page, "/#/nodes", "gantry:nodes-rendered");
        assertThat(page.locator(".node-card")).hasCount(NODES);
        assertThat(page.locator("[data-node='gpu-007'] .health-bad")).hasCount(1);
        report.add(String.format("nodes page (100 nodes, 800 GPUs), first render: %.0f ms (files cached)", nodes));
        browser.screenshotWindow(page, "nodes-100");
        page.close();

        Path out = Path.of(System.getProperty("console.screenshots", "target/screenshots")).resolveSibling("console-render-times.txt");
        Files.write(out, report);
        report.forEach(line -> System.out.println("[console] " + line));
        Assertions.assertThat(browser.errors).as("script errors in the page").isEmpty();
    }

    /** Navigates to the page and returns when its first render was marked, in ms after the navigation started. */
    private static double render(Page page, String path, String mark) {
        page.navigate("about:blank"); // a new document each time: a new timeline, no marks from before
        page.navigate(path);
        page.waitForFunction("m => performance.getEntriesByName(m).length > 0", mark);
        return ((Number) page.evaluate("m => performance.getEntriesByName(m)[0].startTime", mark)).doubleValue();
    }

    private static List<Long> round(List<Double> values) {
        return values.stream().map(Math::round).toList();
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    static {
        try {
            Files.createDirectories(Path.of(System.getProperty("console.screenshots", "target/screenshots")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
