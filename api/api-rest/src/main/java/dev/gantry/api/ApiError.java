package dev.gantry.api;

import java.util.List;

import dev.gantry.job.FieldError;

/** The one error shape of the API: {@code {"error": "...", "fields": [{"field": "...", "message": "..."}]}}. */
public record ApiError(String error, List<FieldError> fields) {
    public ApiError {
        fields = fields == null || fields.isEmpty() ? null : List.copyOf(fields);
    }

    public static ApiError of(String error) {
        return new ApiError(error, null);
    }
}
