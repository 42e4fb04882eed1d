package dev.gantry.api;

import java.util.List;
import java.util.regex.Pattern;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.NodeState;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;

/**
 * {@code /api/v1/config}: runtime configuration, one JSON value per key under {@code /config/} (watched live by
 * the scheduler). Values are stored exactly as sent, once they parse as JSON.
 */
@Path("/api/v1/config")
@Produces(MediaType.APPLICATION_JSON)
public class ConfigResource {
    /** Slash-separated segments of letters, digits, '.', '_' and '-'; no empty, '.' or '..' segments. */
    static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*");

    @Inject
    KvClient kv;

    /** Every key under /config/, in key order. */
    @GET
    public Page<ConfigEntry> list() {
        return Page.of(kv.list(Keys.CONFIG).kvs().stream().map(ConfigResource::entry).toList());
    }

    /** The stored value itself. */
    @GET
    @Path("{key: .+}")
    public Response get(@PathParam("key") String key) {
        checkKey(key);
        Kv entry = kv.get(Keys.config(key)).orElseThrow(() -> ApiException.notFound("no config key " + key));
        return Response.ok(entry(entry).value()).build();
    }

    /** Stores the body under /config/KEY; 400 unless it is JSON (and, under nodes/, a node state). */
    @PUT
    @Path("{key: .+}")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    public ConfigEntry put(@PathParam("key") String key, String body) {
        checkKey(key);
        if (body == null || body.isBlank()) {
            throw ApiException.badRequest("the body must be a JSON value");
        }
        JsonNode value;
        try {
            value = Json.mapper().readTree(body);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw ApiException.badRequest("malformed JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": " + e.getOriginalMessage());
        }
        if (Keys.config(key).startsWith(Keys.NODE_STATES)) {
            try {
                Json.mapper().treeToValue(value, NodeState.class);
            } catch (JsonProcessingException e) {
                throw ApiException.badRequest("a value under nodes/ is a node state {\"state\": \"cordoned|draining\", \"reason\": ..., \"at\": ...}: "
                        + e.getOriginalMessage());
            }
        }
        long revision = kv.put(Keys.config(key), body);
        return new ConfigEntry(key, value, revision);
    }

    static ConfigEntry entry(Kv entry) {
        return new ConfigEntry(entry.key().substring(Keys.CONFIG.length()), parse(entry.value()), entry.modRevision());
    }

    /** A value written by hand with etcdctl may not be JSON: it is shown as a string. */
    private static JsonNode parse(String value) {
        try {
            return Json.mapper().readTree(value);
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(value);
        }
    }

    private static void checkKey(String key) {
        if (!KEY.matcher(key).matches() || List.of(key.split("/")).stream().anyMatch(s -> s.equals(".") || s.equals(".."))) {
            throw ApiException.badField("key", "must be '/'-separated segments of letters, digits, '.', '_', '-'");
        }
    }
}
