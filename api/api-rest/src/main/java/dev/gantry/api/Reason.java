package dev.gantry.api;

import com.fasterxml.jackson.core.JsonProcessingException;

import dev.gantry.job.Json;

/** The optional body of cancel, cordon and drain: {@code {"reason": "..."}}. */
public record Reason(String reason) {
    static String parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            Reason r = Json.mapper().readValue(body, Reason.class);
            return r == null ? null : r.reason();
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body must be {\"reason\": \"...\"} or empty: " + e.getOriginalMessage());
        }
    }
}
