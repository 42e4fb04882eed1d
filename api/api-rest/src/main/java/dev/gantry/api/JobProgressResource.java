package dev.gantry.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.gantry.api.live.LiveState;
import dev.gantry.api.live.ProgressHistory;

/**
 * {@code GET /api/v1/jobs/{id}/progress}: the job's progress records, oldest first (its loss curve). A task stores
 * only its latest progress; this server keeps each one it sees, bounded ({@link ProgressHistory}), so the curve
 * starts when this server started watching.
 */
@Path("/api/v1/jobs/{id}/progress")
@Produces(MediaType.APPLICATION_JSON)
public class JobProgressResource {
    @Inject
    LiveState live;

    @GET
    @Operation(summary = "The job's progress records (step, loss, percent) as this server saw them, oldest first")
    public ProgressHistory.Curve progress(@PathParam("id") String id) {
        ViewsResource.requireReady(live);
        if (live.task(id).isEmpty()) {
            throw ApiException.notFound("no job " + id);
        }
        return live.history().curve(id);
    }
}
