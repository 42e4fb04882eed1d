package dev.gantry.api.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Renders an OpenAPI document as Markdown: a table of the operations, each operation's parameters, bodies and
 * answers, and the schemas as field tables. Deterministic: paths and schemas sorted, methods in a fixed order.
 */
final class OpenApiMarkdown {
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch");
    private static final String SCHEMAS = "#/components/schemas/";

    private OpenApiMarkdown() {
    }

    static String render(JsonNode api, String preface) {
        StringBuilder md = new StringBuilder(preface);
        Map<String, JsonNode> paths = new TreeMap<>();
        api.path("paths").fields().forEachRemaining(e -> paths.put(e.getKey(), e.getValue()));
        md.append("| method and path | summary |\n|---|---|\n");
        paths.forEach((path, ops) -> forEachOperation(ops, (method, op) -> md.append("| [`").append(method).append(' ').append(path)
                .append("`](#").append(anchor(method + " " + path)).append(") | ").append(op.path("summary").asText()).append(" |\n")));
        paths.forEach((path, ops) -> forEachOperation(ops, (method, op) -> operation(md, method, path, op)));
        md.append("## Schemas\n\n");
        Map<String, JsonNode> schemas = new TreeMap<>();
        api.path("components").path("schemas").fields().forEachRemaining(e -> schemas.put(e.getKey(), e.getValue()));
        schemas.forEach((name, schema) -> schema(md, name, schema));
        return md.toString().stripTrailing() + "\n";
    }

    private interface OperationVisitor {
        void visit(String method, JsonNode op);
    }

    private static void forEachOperation(JsonNode ops, OperationVisitor visitor) {
        for (String method : METHODS) {
            if (ops.has(method)) {
                visitor.visit(method.toUpperCase(Locale.ROOT), ops.get(method));
            }
        }
    }

    private static void operation(StringBuilder md, String method, String path, JsonNode op) {
        md.append("\n## `").append(method).append(' ').append(path).append("`\n\n");
        if (op.hasNonNull("summary")) {
            md.append(op.get("summary").asText()).append(".\n\n");
        }
        if (op.hasNonNull("description")) {
            md.append(op.get("description").asText()).append("\n\n");
        }
        if (!op.path("parameters").isEmpty()) {
            md.append("| parameter | in | type | required |\n|---|---|---|---|\n");
            for (JsonNode p : op.path("parameters")) {
                md.append("| `").append(p.path("name").asText()).append("` | ").append(p.path("in").asText()).append(" | ")
                        .append(type(p.path("schema"))).append(" | ").append(p.path("required").asBoolean() ? "yes" : "no").append(" |\n");
            }
            md.append('\n');
        }
        JsonNode body = op.path("requestBody");
        if (!body.isMissingNode()) {
            md.append("Request body").append(body.path("required").asBoolean() ? "" : " (optional)").append(": ")
                    .append(contents(body.path("content"))).append("\n\n");
        }
        md.append("| answer | content |\n|---|---|\n");
        op.path("responses").fields().forEachRemaining(r -> md.append("| ").append(r.getKey()).append(' ')
                .append(r.getValue().path("description").asText()).append(" | ").append(contents(r.getValue().path("content"))).append(" |\n"));
    }

    private static String contents(JsonNode content) {
        List<String> parts = new ArrayList<>();
        content.fields().forEachRemaining(c -> parts.add("`" + c.getKey() + "` " + type(c.getValue().path("schema"))));
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    private static void schema(StringBuilder md, String name, JsonNode schema) {
        md.append("### ").append(name).append("\n\n");
        if (!schema.has("properties")) {
            md.append(type(schema)).append("\n\n");
            return;
        }
        md.append("| field | type |\n|---|---|\n");
        schema.path("properties").fields().forEachRemaining(p -> md.append("| `").append(p.getKey()).append("` | ")
                .append(type(p.getValue())).append(" |\n"));
        md.append('\n');
    }

    /** A schema in words: {@code array of [Task](#task)}, {@code integer (int64)}, {@code one of `A`, `B`}. */
    static String type(JsonNode schema) {
        if (schema.has("$ref")) {
            String name = schema.get("$ref").asText().substring(SCHEMAS.length());
            return "[" + name + "](#" + anchor(name) + ")";
        }
        if (schema.has("enum")) {
            List<String> values = new ArrayList<>();
            schema.get("enum").forEach(v -> values.add("`" + v.asText() + "`"));
            return "one of " + String.join(", ", values);
        }
        String type = schema.path("type").isArray() ? joined(schema.path("type")) : schema.path("type").asText("");
        return switch (type) {
            case "" -> "any JSON";
            case "array" -> "array of " + type(schema.path("items"));
            case "object" -> schema.has("additionalProperties") ? "map of string to " + type(schema.path("additionalProperties")) : "object";
            default -> schema.has("format") ? type + " (" + schema.get("format").asText() + ")" : type;
        };
    }

    private static String joined(JsonNode types) {
        List<String> parts = new ArrayList<>();
        types.forEach(t -> parts.add(t.asText()));
        return String.join(" or ", parts);
    }

    /** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'. */
    static String anchor(String heading) {
        return heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }
}
