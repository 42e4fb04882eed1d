package dev.gantry.api;

import java.util.List;

import dev.gantry.job.FieldError;

/** A request the API refuses, with the HTTP status and the {@link ApiError} to answer. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final List<FieldError> fields;

    public ApiException(int status, String error, List<FieldError> fields) {
        super(error);
        this.status = status;
        this.fields = fields;
    }

    public static ApiException badRequest(String error) {
        return new ApiException(400, error, List.of());
    }

    /** A 400 about one field of the request (a query parameter or a body field). */
    public static ApiException badField(String field, String message) {
        return new ApiException(400, field + ": " + message, List.of(new FieldError(field, message)));
    }

    public static ApiException notFound(String error) {
        return new ApiException(404, error, List.of());
    }

    public static ApiException conflict(String error) {
        return new ApiException(409, error, List.of());
    }

    public int status() {
        return status;
    }

    public ApiError body() {
        return new ApiError(getMessage(), fields);
    }
}
