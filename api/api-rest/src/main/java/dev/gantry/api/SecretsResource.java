package dev.gantry.api;

import java.net.URI;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import dev.gantry.job.Secret;

/**
 * {@code /api/v1/secrets}: named values that jobs reference in {@code secretEnv}. A value can be written and
 * deleted, never read back: no answer of the API holds one (docs/api.md, "Secrets").
 */
@Path("/api/v1/secrets")
@Produces(MediaType.APPLICATION_JSON)
public class SecretsResource {
    @Inject
    Secrets secrets;

    /** Every secret's name, size and times, in name order. */
    @GET
    @Operation(summary = "Every secret's name, size and times, never a value")
    public Page<SecretInfo> list() {
        return Page.of(secrets.list());
    }

    @GET
    @Path("{name}")
    @Operation(summary = "One secret's name, size and times, never its value")
    public SecretInfo get(@PathParam("name") String name) {
        checkName(name);
        return secrets.get(name).orElseThrow(() -> ApiException.notFound("no secret " + name));
    }

    /**
     * Creates or replaces the secret with the request body, byte for byte (a trailing newline is part of the value):
     * UTF-8 text, 1 byte to 64 KiB, without NUL. Any Content-Type is taken as the raw value.
     */
    @PUT
    @Path("{name}")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Creates or replaces a secret; the body is the raw value (UTF-8, 1 byte to 64 KiB)")
    @RequestBody(content = @Content(mediaType = MediaType.TEXT_PLAIN, schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "201", description = "created", content = @Content(schema = @Schema(implementation = SecretInfo.class)))
    @APIResponse(responseCode = "200", description = "replaced", content = @Content(schema = @Schema(implementation = SecretInfo.class)))
    @APIResponse(responseCode = "400", description = "invalid name or value (the error never quotes the value)",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response put(@PathParam("name") String name, byte[] body) {
        checkName(name);
        String value;
        try {
            value = Secret.decode(body);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        Secrets.Written written = secrets.put(name, value);
        return written.created()
                ? Response.created(URI.create("/api/v1/secrets/" + name)).entity(written.info()).build()
                : Response.ok(written.info()).build();
    }

    /** Deletes the secret; jobs that reference it and have not started yet fail when they do. */
    @DELETE
    @Path("{name}")
    @Operation(summary = "Deletes a secret")
    @APIResponse(responseCode = "204", description = "deleted")
    @APIResponse(responseCode = "404", description = "no such secret", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response delete(@PathParam("name") String name) {
        checkName(name);
        if (!secrets.delete(name)) {
            throw ApiException.notFound("no secret " + name);
        }
        return Response.noContent().build();
    }

    private static void checkName(String name) {
        if (!Secret.validName(name)) {
            throw ApiException.badField("name", Secret.NAME_RULE);
        }
    }
}
