package dev.gantry.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A list answer: {@code items}, and {@code continue}, an opaque token for the next page, absent on the last
 * page.
 */
public record Page<T>(List<T> items, @JsonProperty("continue") String continueToken) {
    public static <T> Page<T> of(List<T> items) {
        return new Page<>(items, null);
    }
}
