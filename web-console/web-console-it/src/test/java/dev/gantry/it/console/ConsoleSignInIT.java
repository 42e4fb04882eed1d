package dev.gantry.it.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.Cookie;
import dev.gantry.access.ApiToken;
import dev.gantry.access.BearerToken;
import dev.gantry.access.Role;
import dev.gantry.it.cluster.Await;
import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.it.cluster.Member;
import dev.gantry.job.Json;
import dev.gantry.kv.client.KvClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console against a server run with {@code --api-auth on}: it asks for a token, refuses a wrong one, shows who is
 * signed in, keeps the token where the page's scripts cannot read it, signs out, and asks again once the token is
 * revoked.
 */
class ConsoleSignInIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Cluster cluster;
    private static Member member;
    private static KvClient kv;
    private static ConsoleBrowser browser;

    @BeforeAll
    static void start() {
        cluster = Cluster.start(Implementation.GANTRY, 1, List.of("--api-auth", "on"));
        member = cluster.members().getFirst();
        kv = KvClient.connect(member.clientUrl());
        browser = ConsoleBrowser.open(member.httpUrl());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {browser, kv, cluster}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    @Test
    void signsInWithATokenSignsOutAndAsksAgainOnceItIsRevoked() {
        BearerToken vera = token("vera", Role.VIEWER);
        Page page = browser.newPage();
        page.navigate("/#/jobs");
        assertThat(page.locator("h1")).hasText("Sign in");
        assertThat(page.locator("#session")).isHidden();
        assertThat(page.locator("#live-indicator")).hasAttribute("data-state", "off");

        page.locator("#token").fill(BearerToken.generate().text());
        page.locator("form.sign-in button[type=submit]").click();
        assertThat(page.locator("#sign-in-error")).containsText("not accepted");
        browser.screenshot(page, "sign-in");

        page.locator("#token").fill(vera.text());
        page.locator("form.sign-in button[type=submit]").click();
        assertThat(page.locator("h1")).hasText("Jobs");
        assertThat(page.locator("#session")).containsText("vera");
        assertThat(page.locator("#session")).containsText("viewer");
        assertThat(page.locator("#live-indicator")).hasAttribute("data-state", "open");
        assertThat(page.locator("li[data-needs=submitter]")).isAttached();
        assertThat(page.locator("li[data-needs=submitter]")).isHidden(); // a viewer is not offered "Submit job"
        page.navigate("/#/config");
        assertThat(page.locator("h1")).hasText("Config");
        assertThat(page.locator("#config-save")).isAttached();
        assertThat(page.locator("#config-save")).isHidden(); // nor saving config
        Cookie cookie = page.context().cookies().stream().filter(c -> c.name.equals("gantry_token")).findFirst().orElseThrow();
        Assertions.assertThat(cookie.httpOnly).isTrue();
        Assertions.assertThat((String) page.evaluate("document.cookie")).doesNotContain(vera.secret());
        Assertions.assertThat(page.content()).doesNotContain(vera.secret());

        page.locator("#session button").click();
        assertThat(page.locator("h1")).hasText("Sign in");
        page.navigate("/#/nodes");
        assertThat(page.locator("h1")).hasText("Sign in");

        page.locator("#token").fill(vera.text());
        page.locator("form.sign-in button[type=submit]").click();
        assertThat(page.locator("h1")).hasText("Nodes");
        kv.delete(vera.record("vera", Role.VIEWER, Instant.now(), null).key());
        Await.until("the revoked token to be refused", GantryServer.AWAIT, () -> Optional.of(status(vera)).filter(s -> s == 401), () -> "");
        page.navigate("/#/config");
        assertThat(page.locator("h1")).hasText("Sign in");

        page.close();
        Assertions.assertThat(browser.errors).as("script errors in the page").isEmpty();
    }

    /** A token stored as 'gantry token create' stores it, once the server has it. */
    private static BearerToken token(String name, Role role) {
        BearerToken bearer = BearerToken.generate();
        ApiToken token = bearer.record(name, role, Instant.now(), null);
        kv.put(token.key(), Json.write(token));
        Await.until("the server to know " + name + "'s token", GantryServer.AWAIT,
                () -> Optional.of(status(bearer)).filter(s -> s == 200), () -> member.logTail(40));
        return bearer;
    }

    private static int status(BearerToken bearer) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(member.httpUrl() + "/api/v1/session"))
                    .header("Authorization", "Bearer " + bearer.text()).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
