package dev.gantry.api;

import com.fasterxml.jackson.databind.JsonNode;

/** One key under {@code /config/}: its name below the prefix, its JSON value, and the revision it was last written at. */
public record ConfigEntry(String key, JsonNode value, long modRevision) {
}
