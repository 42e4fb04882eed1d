package dev.gantry.api.access;

import dev.gantry.access.ApiToken;
import dev.gantry.access.BearerToken;
import dev.gantry.api.ApiException;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.kv.client.Informer;
import dev.gantry.kv.client.KvClient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The API tokens of {@code /tokens/}, kept in memory by an informer so that checking a request's token never waits
 * on the store, and a revoked token stops working as soon as its deletion is watched. Loaded only with
 * {@code --api-auth on}; until the first listing is in, requests are answered 503.
 */
@Singleton
public class TokenTable {
    private static final Logger LOG = Logger.getLogger(TokenTable.class);
    private static final Duration RETRY_MAX = Duration.ofSeconds(5);

    @Inject
    KvClient kv;

    @ConfigProperty(name = "gantry.api-auth", defaultValue = "off")
    String apiAuth;

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "api-tokens");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Informer<ApiToken> tokens;
    private volatile boolean stopped;

    /** Whether requests need a token ({@code --api-auth on}). */
    public boolean required() {
        return apiAuth.equals("on");
    }

    void onStart(@Observes StartupEvent event) {
        if (required()) {
            LOG.info("REST API: bearer tokens required (--api-auth on); manage them with 'gantry token create|list|revoke'");
            timer.execute(() -> load(1));
        } else {
            LOG.info("REST API: no tokens required (--api-auth off): whoever reaches the HTTP port may submit and cancel jobs");
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        timer.shutdownNow();
        if (tokens != null) {
            tokens.close();
        }
    }

    private void load(int attempt) {
        if (stopped) {
            return;
        }
        Informer<ApiToken> informer = new Informer<>(kv, Keys.TOKENS, value -> Json.read(value, ApiToken.class))
                .addListener(this::logChange);
        try {
            tokens = informer.start();
            LOG.infof("API tokens loaded: %d", informer.entries().size());
        } catch (RuntimeException e) {
            informer.close();
            if (attempt % 10 == 0) {
                LOG.warnf("API tokens: reading %s failed %d times, retrying (%s)", Keys.TOKENS, attempt, e.getMessage());
            }
            timer.schedule(() -> load(attempt + 1), Math.min(RETRY_MAX.toMillis(), 250L * attempt), TimeUnit.MILLISECONDS);
        }
    }

    /** An audit line for every token made or revoked while the server runs (never its secret, which it does not have). */
    private void logChange(String key, Informer.Entry<ApiToken> before, Informer.Entry<ApiToken> after) {
        if (tokens == null) {
            return; // the first listing: the tokens there were, counted once loaded
        }
        if (after != null && before == null) {
            ApiToken t = after.value();
            LOG.infof("API token %s added: %s, role %s%s", t.id(), t.name(), t.role().label(), t.expires() == null ? "" : ", expires " + t.expires());
        } else if (after == null && before != null) {
            LOG.infof("API token %s revoked (was %s's, role %s)", before.value().id(), before.value().name(), before.value().role().label());
        }
    }

    /**
     * The caller that {@code text} (a bearer token, as sent) identifies; a 401 saying what is wrong with it
     * otherwise. The secret is compared in constant time; the answer never says whether the id exists.
     */
    public ApiCaller authenticate(String text, Instant now) {
        if (text == null || text.isBlank()) {
            throw unauthorized("missing bearer token: send 'Authorization: Bearer <token>' (tokens come from 'gantry token create')");
        }
        Informer<ApiToken> loaded = tokens;
        if (loaded == null) {
            throw new ApiException(503, "the API tokens are not loaded yet (is the store reachable?); retry shortly", List.of());
        }
        BearerToken bearer = BearerToken.parse(text).orElseThrow(() -> unauthorized("invalid token: not a Gantry API token"));
        ApiToken token = loaded.get(Keys.token(bearer.id())).map(Informer.Entry::value)
                .filter(t -> t.matches(bearer.secret()))
                .orElseThrow(() -> unauthorized("invalid token: unknown or revoked"));
        if (token.expired(now)) {
            throw unauthorized("token " + token.id() + " expired at " + token.expires());
        }
        return new ApiCaller(token.name(), token.role());
    }

    static ApiException unauthorized(String error) {
        return new ApiException(401, error, List.of());
    }
}
