package dev.gantry.api;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.gantry.job.Json;

/** The API answers with the job model's one JSON configuration (no nulls, ISO-8601 instants), the one stored in the KV. */
public class JsonMapperProducer {
    @Produces
    @Singleton
    ObjectMapper objectMapper() {
        return Json.mapper();
    }
}
