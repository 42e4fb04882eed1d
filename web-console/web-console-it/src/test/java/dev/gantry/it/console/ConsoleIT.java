package dev.gantry.it.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.AriaRole;

import dev.gantry.it.cluster.Await;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.NodeState;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;

/**
 * The console in a real headless Chromium against a real {@code gantry server} with two simulated agents (4 H100s,
 * 2 A100s): submitting through the form and watching the job succeed live, cancelling, cordoning, the form's
 * validation errors, the overview, the jobs table, config, and the banner while the server is down. What the
 * console did is checked in the store itself. Screenshots of every page go to target/screenshots/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(ConsoleIT.ServerLogOnFailure.class)
class ConsoleIT {
    /** A failed test prints the end of the server's log: what the page cannot say. */
    static final class ServerLogOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (server != null) {
                System.out.println("---- server log, after " + context.getDisplayName() + " failed ----\n" + server.logTail());
            }
        }
    }

    private static final LocatorAssertions.HasTextOptions LONG = new LocatorAssertions.HasTextOptions().setTimeout(60_000);

    private static GantryServer server;
    private static SimulatedAgent h100;
    private static SimulatedAgent a100;
    private static ConsoleBrowser browser;

    private Page page;

    @BeforeAll
    static void start() {
        // The server's own agent too: a real one, which serves its jobs' logs (the simulated ones do not).
        server = GantryServer.start("--agent=on");
        h100 = SimulatedAgent.start(server.kv, "gpu-h100", 4, "NVIDIA H100 80GB HBM3", 80);
        a100 = SimulatedAgent.start(server.kv, "gpu-a100", 2, "NVIDIA A100-SXM4-40GB", 40);
        Await.until("the three nodes in the API", GantryServer.AWAIT,
                () -> Optional.of(server.json("/api/v1/views/overview")).filter(o -> o.at("/nodes/ready").asInt() == 3), () -> "");
        browser = ConsoleBrowser.open(server.url());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {browser, h100, a100, server}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    @BeforeEach
    void openPage() {
        page = browser.newPage();
    }

    @AfterEach
    void closePage() {
        page.close();
        List<String> errors = List.copyOf(browser.errors);
        browser.errors.clear();
        Assertions.assertThat(errors).as("script errors in the page").isEmpty();
    }

    @Test
    @Order(1)
    void submitsAJobThroughTheFormAndWatchesItSucceedWithoutAReload() {
        page.navigate("/#/submit");
        page.evaluate("window.sameDocument = true");
        page.locator("#f-name").fill("llama-lora");
        page.locator("#f-model").fill("meta-llama/Llama-3.1-8B-Instruct");
        page.locator("#f-datasets").fill("AI-ModelScope/alpaca-gpt4-data-en#500\nswift/self-cognition#200");
        page.locator("#f-trainType").selectOption("qlora");
        page.locator("#f-resources-gpus").fill("2");
        page.locator("#f-resources-gpuModel").fill("H100");
        page.locator("#f-priority").fill("70");
        page.locator("#f-labels").fill("team=nlp");
        page.locator("#f-hyperparameters-epochs").fill("2");
        page.locator("#f-hyperparameters-learningRate").fill("2e-4");
        page.locator("#f-hyperparameters-loraRank").fill("16");
        assertThat(page.locator("#request-preview")).containsText("\"loraRank\": 16");
        browser.screenshot(page, "submit");

        page.locator("#submit-job").click();
        page.waitForURL(Pattern.compile(".*#/jobs/llama-lora-[0-9a-z]{5}$"));
        String id = page.url().substring(page.url().lastIndexOf('/') + 1);
        Locator bar = page.locator("#job-progress");
        bar.waitFor();
        // Every value the progress bar takes from now on, as the page shows it.
        page.evaluate("""
                () => {
                  window.progressSeen = [];
                  const bar = document.getElementById('job-progress');
                  new MutationObserver(() => window.progressSeen.push(Number(bar.getAttribute('aria-valuenow'))))
                    .observe(bar, {attributes: true, attributeFilter: ['aria-valuenow']});
                }""");
        assertThat(page.locator("#job-status")).hasText("Succeeded", LONG);

        @SuppressWarnings("unchecked")
        List<Number> seen = (List<Number>) page.evaluate("window.progressSeen");
        List<Double> values = seen.stream().map(Number::doubleValue).toList();
        Assertions.assertThat(values).as("the progress bar's values").last().isEqualTo(100.0);
        Assertions.assertThat(values.stream().filter(v -> v > 0 && v < 100).distinct().count())
                .as("distinct values between 0 and 100 in %s", values).isGreaterThanOrEqualTo(3);
        Assertions.assertThat(values).as("the bar never goes back").isSorted();
        Assertions.assertThat(page.evaluate("window.sameDocument")).as("the page was not reloaded").isEqualTo(true);

        assertThat(page.locator("#timeline > li")).hasCount(4);
        Assertions.assertThat(page.locator("#timeline > li").evaluateAll("items => items.map(i => i.dataset.to)"))
                .isEqualTo(List.of("PENDING", "SCHEDULED", "RUNNING", "SUCCEEDED"));
        Assertions.assertThat(Integer.parseInt(page.locator("#loss-chart svg").getAttribute("data-points")))
                .as("points in the loss chart").isGreaterThanOrEqualTo(5);
        assertThat(page.locator("#job-details")).containsText("gpu-h100");
        assertThat(page.locator("#log-status")).containsText("Log not available");

        Task stored = Json.read(server.kv.get(Keys.task(id)).orElseThrow().value(), Task.class);
        Assertions.assertThat(stored.status()).isEqualTo(TaskStatus.SUCCEEDED);
        Assertions.assertThat(stored.node()).isEqualTo("gpu-h100");
        Assertions.assertThat(stored.gpus()).hasSize(2);
        Assertions.assertThat(stored.spec().trainType()).isEqualTo("qlora");
        Assertions.assertThat(stored.spec().datasets()).containsExactly("AI-ModelScope/alpaca-gpt4-data-en#500", "swift/self-cognition#200");
        Assertions.assertThat(stored.spec().hyperparameters().learningRate()).isEqualTo(2e-4);
        Assertions.assertThat(stored.spec().priority()).isEqualTo(70);
        browser.screenshot(page, "job");
    }

    @Test
    @Order(2)
    void cancelsARunningJob() {
        String id = server.submit("""
                {"name": "long-run", "model": "Qwen/Qwen2.5-7B-Instruct", "datasets": ["d#100"], "trainType": "lora",
                 "resources": {"gpus": 1, "gpuModel": "A100"}, "labels": {"sim-steps": "1000"}}""");
        server.awaitStatus(id, "RUNNING");
        page.navigate("/#/jobs/" + id);
        assertThat(page.locator("#job-status")).hasText("Running");
        assertThat(page.locator("#job-progress")).not().hasAttribute("aria-valuenow", "0");

        page.locator("#cancel-job").click();
        page.locator("dialog input[name=reason]").fill("wrong dataset");
        page.locator("dialog button[value=ok]").click();
        assertThat(page.locator("#job-status")).hasText("Cancelled");
        assertThat(page.locator("#job-reason")).containsText("wrong dataset");
        assertThat(page.locator("#cancel-job")).hasCount(0);

        Task stored = Json.read(server.kv.get(Keys.task(id)).orElseThrow().value(), Task.class);
        Assertions.assertThat(stored.status()).isEqualTo(TaskStatus.CANCELLED);
        Assertions.assertThat(stored.reason()).isEqualTo("wrong dataset");
        Assertions.assertThat(server.kv.get(Keys.assignment("gpu-a100", id))).as("the assignment").isEmpty();
        Await.until("the agent to stop " + id, GantryServer.AWAIT, () -> Optional.ofNullable(a100.stoppedBecause(id)), () -> "");
        Assertions.assertThat(a100.stoppedBecause(id)).isIn("assignment deleted", "task is CANCELLED");
        browser.screenshot(page, "job-cancelled");
    }

    @Test
    @Order(3)
    void cordonsANodeAndFollowsAnotherOperatorsDrain() {
        // A job on the other node, so that the page shows GPUs at work too.
        String busy = server.submit("""
                {"name": "vision-sft", "model": "Qwen/Qwen2-VL-7B-Instruct", "datasets": ["coco#1000"], "trainType": "lora",
                 "resources": {"gpus": 2, "gpuModel": "H100"}, "labels": {"sim-steps": "40"}}""");
        server.awaitStatus(busy, "RUNNING");
        page.navigate("/#/nodes");
        assertThat(page.locator("[data-node='gpu-h100'] .tasks")).containsText(busy);
        Locator card = page.locator("[data-node='gpu-a100']");
        assertThat(card.locator(".node-status")).hasText("Ready");
        assertThat(card.locator("tbody tr")).hasCount(2);

        card.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Cordon")).click();
        page.locator("dialog input[name=reason]").fill("fan noise");
        page.locator("dialog button[value=ok]").click();
        assertThat(card.locator(".node-status")).hasText("Cordoned");
        assertThat(card.locator(".operator")).containsText("fan noise");
        NodeState state = Json.read(server.kv.get(Keys.nodeState("gpu-a100")).orElseThrow().value(), NodeState.class);
        Assertions.assertThat(state.state()).isEqualTo(NodeState.State.CORDONED);
        Assertions.assertThat(state.reason()).isEqualTo("fan noise");

        // Someone else drains it through the API: the page follows, without a reload.
        Assertions.assertThat(server.post("/api/v1/nodes/gpu-a100/drain", "{\"reason\": \"replace PSU\"}").statusCode()).isEqualTo(200);
        assertThat(card.locator(".node-status")).hasText("Draining");
        assertThat(card.locator(".operator")).containsText("replace PSU");
        browser.screenshot(page, "nodes");

        card.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Uncordon")).click();
        assertThat(card.locator(".node-status")).hasText("Ready");
        Assertions.assertThat(server.kv.get(Keys.nodeState("gpu-a100"))).as("the operator state").isEmpty();
    }

    @Test
    @Order(4)
    void anInvalidFormShowsTheFieldErrorsAndCreatesNothing() {
        int before = server.kv.list(Keys.TASKS).kvs().size();
        page.navigate("/#/submit");
        page.locator("#f-name").fill("Bad_Name");
        page.locator("#f-model").fill("Qwen/Qwen2.5-7B-Instruct");
        page.locator("#f-datasets").fill("AI-ModelScope/alpaca-gpt4-data-en");
        page.locator("#f-resources-gpus").fill("100");
        page.locator("#submit-job").click();

        assertThat(page.locator("#f-resources-gpus-error")).containsText("between 0 and 64");
        assertThat(page.locator("#f-resources-gpus")).hasAttribute("aria-invalid", "true");
        assertThat(page.locator("#f-name-error")).isVisible();
        assertThat(page.locator("#f-name")).hasAttribute("aria-invalid", "true");
        assertThat(page.locator("#f-model-error")).isHidden();
        assertThat(page.locator("#form-errors")).containsText("not submitted");
        browser.screenshot(page, "submit-errors");

        // The raw document: an unknown field is named.
        page.locator("#tab-raw").click();
        page.locator("#raw-document").fill("{\"name\": \"raw-job\", \"command\": [\"true\"], \"gpuCount\": 2}");
        page.locator("#submit-raw").click();
        assertThat(page.locator("#raw-errors")).containsText("gpuCount");

        Assertions.assertThat(page.url()).endsWith("#/submit");
        Assertions.assertThat(server.kv.list(Keys.TASKS).kvs()).as("tasks in the store").hasSize(before);
    }

    @Test
    @Order(5)
    void theOverviewJobsTableAndConfigFollowTheCluster() {
        page.navigate("/#/");
        assertThat(page.locator("[data-stat=nodes] .value")).hasText("3 / 3");
        assertThat(page.locator("[data-stat=leader] .value")).hasText("m1");
        assertThat(page.locator("#event-feed")).containsText("llama-lora");
        String id = server.submit("{\"name\": \"feed-check\", \"command\": [\"true\"], \"labels\": {\"sim-steps\": \"3\"}}");
        assertThat(page.locator("#event-feed")).containsText("Job feed-check submitted");
        assertThat(page.locator("#event-feed")).containsText("Job feed-check succeeded", new com.microsoft.playwright.assertions.LocatorAssertions.ContainsTextOptions().setTimeout(60_000));
        // Jobs may still be finishing: the count on the page catches up with the API's.
        Await.until("the overview's succeeded count to match the API's", GantryServer.AWAIT, () -> Optional.of(
                page.locator("[data-count=SUCCEEDED] .n").textContent()).filter(
                        shown -> shown.equals(server.json("/api/v1/views/overview").at("/jobs/SUCCEEDED").asText())), () -> "");
        assertThat(page.locator("[data-count=CANCELLED] .n")).hasText("1");
        browser.screenshot(page, "overview");

        page.navigate("/#/jobs");
        int total = server.json("/api/v1/views/jobs").get("total").asInt();
        assertThat(page.locator("#jobs-table tbody tr")).hasCount(total);
        assertThat(page.locator(".pager .count")).hasText("1–" + total + " of " + total + " jobs");
        page.locator("[data-status-filter=CANCELLED]").click();
        assertThat(page.locator("#jobs-table tbody tr")).hasCount(1);
        assertThat(page.locator("#jobs-table tbody tr")).containsText("long-run");
        Assertions.assertThat(page.url()).contains("status=CANCELLED");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("All").setExact(true)).click();
        page.locator("th[data-column=name] button").click();
        assertThat(page.locator("th[data-column=name]")).hasAttribute("aria-sort", "ascending");
        assertThat(page.locator("#jobs-table tbody tr").first()).containsText("feed-check");
        browser.screenshot(page, "jobs");
        server.awaitStatus(id, "SUCCEEDED");

        page.navigate("/#/config");
        page.locator("#config-key").fill("scheduler/console-test");
        page.locator("#config-value").fill("{\"binpack\": true}");
        page.locator("#config-save").click();
        assertThat(page.locator("[data-config='scheduler/console-test']")).containsText("\"binpack\": true");
        Assertions.assertThat(server.kv.get(Keys.config("scheduler/console-test")).orElseThrow().value()).isEqualTo("{\"binpack\": true}");
        page.locator("#config-key").fill("scheduler/broken");
        page.locator("#config-value").fill("{binpack");
        page.locator("#config-save").click();
        assertThat(page.locator("#config-value-error")).containsText("malformed JSON");
        Assertions.assertThat(server.kv.get(Keys.config("scheduler/broken"))).isEmpty();
        browser.screenshot(page, "config");
    }

    @Test
    @Order(6)
    void showsAJobsLogAndFollowsIt() throws Exception {
        // The job waits for a file before its last line, so that the line can only arrive through the followed stream.
        Path release = Files.createTempDirectory("console-log-").resolve("release");
        String id;
        // The simulated nodes are cordoned for the moment: the job goes to the server's own agent, which serves logs.
        List<String> simulated = List.of("gpu-h100", "gpu-a100");
        simulated.forEach(node -> Assertions.assertThat(server.post("/api/v1/nodes/" + node + "/cordon", "").statusCode()).isEqualTo(200));
        try {
            id = server.submit("""
                    {"name": "log-demo", "command": ["sh", "-c", "echo hello from gantry; while [ ! -e %s ]; do sleep 0.2; done; echo released"]}"""
                    .formatted(release));
            server.awaitStatus(id, "RUNNING");
        } finally {
            simulated.forEach(node -> server.post("/api/v1/nodes/" + node + "/uncordon", ""));
        }
        page.navigate("/#/jobs/" + id);
        assertThat(page.locator("#job-log")).containsText("hello from gantry");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Follow")).click();
        assertThat(page.locator("#log-status")).containsText("Following");
        assertThat(page.locator("#job-log")).containsText("hello from gantry");
        Assertions.assertThat(page.locator("#job-log").textContent()).doesNotContain("released");

        Files.createFile(release);
        assertThat(page.locator("#job-log")).containsText("released");
        assertThat(page.locator("#log-status")).containsText("ended");
        assertThat(page.locator("#job-status")).hasText("Succeeded");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Reload tail")).click();
        assertThat(page.locator("#log-status")).containsText("last 500 lines");
        assertThat(page.locator("#job-log")).containsText("released");
        browser.screenshot(page, "job-log");
        Files.delete(release);
        Files.delete(release.getParent());
    }

    @Test
    @Order(6)
    void aJobsSecretEnvironmentIsShownByNameAndItsValueNowhere() {
        String value = "console-secret-" + UUID.randomUUID();
        server.putSecret("console-token", value);
        String id;
        // On the server's own agent, which serves logs (the simulated nodes are cordoned for the moment).
        List<String> simulated = List.of("gpu-h100", "gpu-a100");
        simulated.forEach(node -> Assertions.assertThat(server.post("/api/v1/nodes/" + node + "/cordon", "").statusCode()).isEqualTo(200));
        try {
            id = server.submit("""
                    {"name": "secret-demo", "command": ["sh", "-c", "echo \\"token: $TOKEN\\""], "secretEnv": {"TOKEN": "console-token"}}""");
            server.awaitStatus(id, "SUCCEEDED");
        } finally {
            simulated.forEach(node -> server.post("/api/v1/nodes/" + node + "/uncordon", ""));
        }
        page.navigate("/#/jobs/" + id);
        assertThat(page.locator("#job-log")).containsText("token: ***");
        assertThat(page.getByText("TOKEN=•••• (secret:console-token)")).isVisible();
        Assertions.assertThat(page.content()).doesNotContain(value);
        browser.screenshot(page, "job-secret-env");
        page.navigate("/#/jobs");
        assertThat(page.locator("#main")).containsText("secret-demo");
        Assertions.assertThat(page.content()).doesNotContain(value);
    }

    /** Last: it restarts the server. */
    @Test
    @Order(7)
    void saysWhenTheConnectionIsLostAndReconnects() {
        page.navigate("/#/");
        assertThat(page.locator("#live-indicator")).hasAttribute("data-state", "open");
        assertThat(page.locator("#connection-banner")).isHidden();

        server.cluster.stop(server.member);
        assertThat(page.locator("#connection-banner")).isVisible();
        assertThat(page.locator("#live-indicator")).hasAttribute("data-state", "lost");
        browser.screenshot(page, "connection-lost");

        server.cluster.restart(server.member);
        server.awaitConsole();
        assertThat(page.locator("#connection-banner")).isHidden(new LocatorAssertions.IsHiddenOptions().setTimeout(60_000));
        assertThat(page.locator("#live-indicator")).hasAttribute("data-state", "open");
        server.submit("{\"name\": \"after-restart\", \"command\": [\"true\"]}");
        assertThat(page.locator("#event-feed")).containsText("Job after-restart submitted");
    }
}
