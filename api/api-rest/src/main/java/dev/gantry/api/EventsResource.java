package dev.gantry.api;

import java.util.concurrent.CompletionStage;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import dev.gantry.api.live.EventHub;
import dev.gantry.api.live.LiveEvent;

/**
 * {@code /api/v1/events}: what changes in the cluster, as it happens, as server-sent events fed by this server's
 * watches on the store (docs/console.md): {@code job}, {@code node} and {@code cluster} events, each a
 * {@link LiveEvent} in JSON, after a first {@code hello}. A client that reconnects with {@code Last-Event-ID} (as a
 * browser's EventSource does) gets the events it missed, or {@code "resumed": false} when they are no longer kept,
 * and should then read the state again.
 */
@Path("/api/v1/events")
public class EventsResource {
    static final int MAX_RECENT = 200;

    @Inject
    EventHub hub;

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Server-sent events: job, node and cluster changes as they happen (docs/console.md)")
    @APIResponse(responseCode = "200", description = "an endless text/event-stream: hello, then job, node and cluster events",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(implementation = LiveEvent.class)))
    public void stream(@Context SseEventSink sink, @Context Sse sse,
            @Parameter(description = "the id of the last event seen, to resume after it") @HeaderParam("Last-Event-ID") String lastEventId,
            @Parameter(description = "the same as Last-Event-ID, for clients that cannot set headers") @QueryParam("lastEventId") String lastEventIdParam) {
        hub.subscribe(new SseSink(sink, sse), lastEventId != null ? lastEventId : lastEventIdParam);
    }

    /** The latest notable events (no progress ticks or telemetry), oldest first: what a feed shows before live ones arrive. */
    @GET
    @Path("recent")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The latest notable events kept by this server, oldest first")
    public Page<LiveEvent> recent(@Parameter(description = "1.." + MAX_RECENT + " (default 50)") @QueryParam("limit") String limit) {
        int n = 50;
        if (limit != null && !limit.isEmpty()) {
            try {
                n = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > MAX_RECENT) {
                throw ApiException.badField("limit", "must be an integer between 1 and " + MAX_RECENT);
            }
        }
        return Page.of(hub.recent(n));
    }

    /** The hub's view of a JAX-RS event stream. */
    private record SseSink(SseEventSink sink, Sse sse) implements EventHub.Sink {
        @Override
        public CompletionStage<?> send(String event, String id, String data, Long retryMillis) {
            OutboundSseEvent.Builder builder = sse.newEventBuilder().name(event).id(id).data(data);
            if (retryMillis != null) {
                builder.reconnectDelay(retryMillis);
            }
            return sink.send(builder.build());
        }

        @Override
        public CompletionStage<?> comment(String text) {
            return sink.send(sse.newEventBuilder().comment(text).build());
        }

        @Override
        public boolean isClosed() {
            return sink.isClosed();
        }

        @Override
        public void close() {
            sink.close();
        }
    }
}
