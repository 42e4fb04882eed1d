package dev.gantry.api;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.gantry.job.IllegalTransition;
import dev.gantry.job.InvalidSpec;
import dev.gantry.kv.client.KvException;

/** Every failure becomes an {@link ApiError} with the right status, so clients parse one shape. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return respond(e.status(), e.body());
    }

    @ServerExceptionMapper
    public Response invalidSpec(InvalidSpec e) {
        return respond(400, new ApiError(e.getMessage(), e.errors()));
    }

    @ServerExceptionMapper
    public Response illegalTransition(IllegalTransition e) {
        return respond(409, ApiError.of(e.getMessage()));
    }

    /** The store could not be reached or refused the request (no leader, NOSPACE, ...): retry later. */
    @ServerExceptionMapper
    public Response store(KvException e) {
        LOG.warnf("store request failed: %s", e.getMessage());
        return respond(503, ApiError.of("the store is unavailable: " + e.getMessage()));
    }

    /** JAX-RS's own refusals: unknown path (404), wrong method (405), unsupported content type (415), ... */
    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String message = switch (status) {
            case 404 -> "no such resource";
            case 405 -> "method not allowed here";
            case 406 -> "cannot answer in the requested media type; the API answers application/json";
            case 415 -> "unsupported Content-Type; send application/json (jobs also take application/yaml)";
            default -> e.getMessage();
        };
        return respond(status, ApiError.of(message));
    }

    /** A stored value that does not parse (a key written by hand): say which, rather than a bare 500. */
    @ServerExceptionMapper
    public Response corrupt(IllegalStateException e) {
        LOG.warn("request failed", e);
        return respond(500, ApiError.of(e.getMessage()));
    }

    private static Response respond(int status, ApiError body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
    }
}
