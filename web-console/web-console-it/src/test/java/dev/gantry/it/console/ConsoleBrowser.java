package dev.gantry.it.console;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;

/**
 * A headless Chromium, the system's own ({@code -Dconsole.chromium}, default /usr/bin/chromium: Debian's package),
 * driven by Playwright, which is told never to download a browser. Pages are 1280×800, the size the console is
 * designed for. Every uncaught script error and every console error the page logs is collected: the tests assert
 * there are none.
 */
final class ConsoleBrowser implements AutoCloseable {
    private static final List<String> CHROMIUM_ARGS = List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage");

    private final Playwright playwright;
    private final Browser browser;
    private final BrowserContext context;
    private final Path screenshots;
    private final String baseUrl;
    final List<String> errors = new CopyOnWriteArrayList<>();

    private ConsoleBrowser(String baseUrl) {
        Path chromium = Path.of(System.getProperty("console.chromium", "/usr/bin/chromium"));
        if (!Files.isExecutable(chromium)) {
            throw new IllegalStateException("the console's browser tests need Chromium at " + chromium
                    + ": apt-get install chromium (bin/test does it when run as root), or pass -Dconsole.chromium=...");
        }
        this.screenshots = Path.of(System.getProperty("console.screenshots", "target/screenshots"));
        this.baseUrl = baseUrl;
        this.playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        this.browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(chromium).setHeadless(true).setArgs(CHROMIUM_ARGS));
        this.context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 800).setBaseURL(baseUrl));
        context.setDefaultTimeout(30_000);
        PlaywrightAssertions.setDefaultAssertionTimeout(30_000);
    }

    static ConsoleBrowser open(String baseUrl) {
        return new ConsoleBrowser(baseUrl);
    }

    /** A new tab whose script errors are collected. */
    Page newPage() {
        return watched(context.newPage());
    }

    /** A tab in a browser context of its own: nothing cached, as a first visit. Close its context when done. */
    Page coldPage() {
        return watched(browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 800).setBaseURL(baseUrl)).newPage());
    }

    private Page watched(Page page) {
        page.onPageError(error -> errors.add("uncaught: " + error));
        page.onConsoleMessage(message -> {
            // A 404 or 503 answer (the log of a job whose agent serves none) is logged by the browser itself.
            if (message.type().equals("error") && !message.text().startsWith("Failed to load resource")) {
                errors.add("console: " + message.text());
            }
        });
        return page;
    }

    /** The whole page as target/screenshots/NAME.png, for people to look at (CI keeps it as an artifact). */
    void screenshot(Page page, String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(screenshots.resolve(name + ".png")).setFullPage(true));
    }

    /** What the 1280×800 window shows, for pages too long to read whole. */
    void screenshotWindow(Page page, String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(screenshots.resolve(name + ".png")));
    }

    @Override
    public void close() {
        context.close();
        browser.close();
        playwright.close();
    }
}
