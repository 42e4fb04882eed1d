package dev.gantry.api.access;

import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/**
 * The API's bearer tokens in its OpenAPI document, so that Swagger UI offers "Authorize" and generated clients send
 * the header. Only a document annotation: the checking is {@link AccessFilter}'s.
 */
@OpenAPIDefinition(info = @Info(title = "Gantry API", version = "v1"), security = @SecurityRequirement(name = "token"))
@SecurityScheme(securitySchemeName = "token", type = SecuritySchemeType.HTTP, scheme = "bearer", bearerFormat = "gantry_<id>.<secret>",
        description = "An API token from 'gantry token create'; needed when the server runs with --api-auth on")
final class BearerScheme {
    private BearerScheme() {
    }
}
