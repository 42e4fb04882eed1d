package dev.gantry.api.access;

import dev.gantry.access.Role;
import dev.gantry.api.ApiException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * With {@code --api-auth on}, every API request carries a token — {@code Authorization: Bearer <token>}, or the
 * console's session cookie — and needs the role {@link AccessRule} names: 401 without a valid token (with
 * {@code WWW-Authenticate}), 403 with a role too small. The caller becomes the request's security context.
 * Only in-memory lookups: safe on the event loop.
 */
public class AccessFilter {
    /** The console's session cookie: the token itself, HttpOnly, set by {@code POST /api/v1/session}. */
    static final String COOKIE = "gantry_token";
    private static final String BEARER = "Bearer ";

    @Inject
    TokenTable tokens;

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION, nonBlocking = true)
    public Response check(ContainerRequestContext request) {
        if (!tokens.required()) {
            return null;
        }
        Role required = AccessRule.required(request.getMethod(), request.getUriInfo().getPath());
        if (required == null) {
            return null;
        }
        try {
            ApiCaller caller = tokens.authenticate(token(request), Instant.now());
            if (!caller.role().includes(required)) {
                return refusal(new ApiException(403, caller.name() + " has role " + caller.role().label() + "; "
                        + request.getMethod() + " " + request.getUriInfo().getPath() + " needs " + required.label(), java.util.List.of()));
            }
            request.setSecurityContext(caller.context(request.getSecurityContext().isSecure()));
            return null;
        } catch (ApiException e) {
            return refusal(e);
        }
    }

    /** The Authorization header's bearer token, else the session cookie's. */
    static String token(ContainerRequestContext request) {
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return header.substring(BEARER.length()).strip();
        }
        Cookie cookie = request.getCookies().get(COOKIE);
        return cookie != null ? cookie.getValue() : null;
    }

    static Response refusal(ApiException e) {
        Response.ResponseBuilder response = Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(e.body());
        if (e.status() == 401) {
            response.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"gantry\"");
        }
        return response.build();
    }
}
