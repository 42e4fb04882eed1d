package dev.gantry.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.ConfigProvider;

import dev.gantry.job.Json;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.ext.web.Router;

/**
 * Answers a body over {@code quarkus.http.limits.max-body-size} with a 413 that says so in the API's error shape.
 * Quarkus's own check (route order -2) ends such a request with an empty 413; this route runs just before it, for
 * every request that declares its Content-Length. A chunked body without one still gets Quarkus's bare 413.
 */
@ApplicationScoped
public class BodyLimit {
    static final int ORDER = -3;

    void install(@Observes Router router) {
        long max = ConfigProvider.getConfig().getOptionalValue("quarkus.http.limits.max-body-size", MemorySize.class)
                .map(MemorySize::asLongValue).orElse(-1L);
        if (max <= 0) {
            return;
        }
        String body = Json.write(ApiError.of("request body too large: the limit is " + max + " bytes (" + (max >> 10) + " KiB)"));
        router.route().order(ORDER).handler(ctx -> {
            String length = ctx.request().getHeader("Content-Length");
            if (length != null && parse(length) > max) {
                ctx.response().setStatusCode(413).putHeader("Content-Type", "application/json").putHeader("Connection", "close").end(body);
                return;
            }
            ctx.next();
        });
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
