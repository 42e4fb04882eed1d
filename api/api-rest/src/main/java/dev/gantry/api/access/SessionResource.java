package dev.gantry.api.access;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gantry.api.ApiError;
import dev.gantry.api.ApiException;
import dev.gantry.job.Json;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Who the caller is, and the console's login and logout: logging in checks a token and keeps it in an HttpOnly,
 * SameSite=Strict cookie, so that the page's own scripts never hold it and other sites cannot send it.
 */
@Path("/api/v1/session")
@Produces(MediaType.APPLICATION_JSON)
public class SessionResource {
    @Inject
    TokenTable tokens;

    /** @param name null without --api-auth on */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Session(boolean authRequired, String name, String role) {
        static Session of(ApiCaller caller, boolean required) {
            return required ? new Session(true, caller.name(), caller.role().label()) : new Session(false, null, null);
        }
    }

    @GET
    @Operation(summary = "Who the caller is: the token's name and role, and whether the server requires tokens")
    public Session whoAmI(@Context SecurityContext security) {
        return Session.of(ApiCaller.of(security), tokens.required());
    }

    /** Body {@code {"token": "gantry_..."}}: 200 and the session cookie when the token is valid, 401 otherwise. */
    @POST
    @Operation(summary = "The console's sign-in: checks a token and sets the HttpOnly session cookie that carries it")
    @APIResponse(responseCode = "200", description = "signed in", content = @Content(schema = @Schema(implementation = Session.class)))
    @APIResponse(responseCode = "401", description = "the token is missing, unknown, revoked or expired",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    public Response login(String body, @Context UriInfo uri) {
        if (!tokens.required()) {
            return Response.ok(Session.of(ApiCaller.ANONYMOUS, false)).build();
        }
        String token;
        try {
            token = Json.mapper().readTree(body == null ? "" : body).path("token").asText(null);
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("body must be JSON: {\"token\": \"gantry_...\"}");
        }
        ApiCaller caller = tokens.authenticate(token, Instant.now());
        return Response.ok(Session.of(caller, true)).cookie(cookie(token, uri, NewCookie.DEFAULT_MAX_AGE)).build();
    }

    @DELETE
    @Operation(summary = "Signs out: clears the session cookie")
    @APIResponse(responseCode = "204", description = "signed out")
    public Response logout(@Context UriInfo uri) {
        return Response.noContent().cookie(cookie("", uri, 0)).build();
    }

    private static NewCookie cookie(String value, UriInfo uri, int maxAge) {
        return new NewCookie.Builder(AccessFilter.COOKIE).value(value).path("/api/").httpOnly(true)
                .sameSite(NewCookie.SameSite.STRICT).secure("https".equals(uri.getRequestUri().getScheme())).maxAge(maxAge).build();
    }
}
