package dev.gantry.api.access;

import dev.gantry.access.Role;
import java.util.regex.Pattern;

/**
 * The least role each request needs, by method and path: reads are a viewer's; submitting and cancelling jobs a
 * submitter's (whose job it is is checked by the resource); nodes, configuration and secrets an operator's;
 * anything else an admin's, so that an endpoint added later is closed until it is given a rule here.
 */
final class AccessRule {
    private static final String API = "/api/v1/";
    private static final Pattern CANCEL = Pattern.compile("/api/v1/jobs/[^/]+/cancel");

    private AccessRule() {
    }

    /** Null where no token is needed: the console's files, health, metrics, and logging in itself. */
    static Role required(String method, String path) {
        if (!path.startsWith(API)) {
            return null;
        }
        if (path.equals(API + "session") && !method.equals("GET")) {
            return null;
        }
        if (under(path, "secrets")) {
            return Role.OPERATOR; // even their names and sizes
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            return Role.VIEWER;
        }
        if (method.equals("POST") && (path.equals(API + "jobs") || CANCEL.matcher(path).matches())) {
            return Role.SUBMITTER;
        }
        if (under(path, "nodes") || under(path, "config")) {
            return Role.OPERATOR;
        }
        return Role.ADMIN;
    }

    private static boolean under(String path, String collection) {
        String base = API + collection;
        return path.equals(base) || path.startsWith(base + "/");
    }
}
