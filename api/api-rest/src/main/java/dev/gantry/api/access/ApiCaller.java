package dev.gantry.api.access;

import dev.gantry.access.Role;
import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;

/**
 * Who sent a request, as its token says; installed as the request's {@link SecurityContext} by
 * {@link AccessFilter}. Without {@code --api-auth on} there is no token and the caller is {@link #ANONYMOUS}, who may
 * do anything and whose jobs record no submitter.
 */
public record ApiCaller(String name, Role role) implements Principal {
    public static final ApiCaller ANONYMOUS = new ApiCaller(null, Role.ADMIN);

    public static ApiCaller of(SecurityContext context) {
        return context != null && context.getUserPrincipal() instanceof ApiCaller caller ? caller : ANONYMOUS;
    }

    @Override
    public String getName() {
        return name;
    }

    /** A submitter may cancel the jobs it submitted; an operator or admin any job. */
    public boolean mayCancel(String submittedBy) {
        return role.includes(Role.OPERATOR) || (name != null && name.equals(submittedBy));
    }

    SecurityContext context(boolean secure) {
        ApiCaller caller = this;
        return new SecurityContext() {
            @Override
            public Principal getUserPrincipal() {
                return caller;
            }

            @Override
            public boolean isUserInRole(String role) {
                return caller.role.includes(Role.parse(role));
            }

            @Override
            public boolean isSecure() {
                return secure;
            }

            @Override
            public String getAuthenticationScheme() {
                return "Bearer";
            }
        };
    }
}
