package dev.gantry.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.gantry.job.Json;

/** Where a command prints, and how: aligned tables for people, or the API's JSON ({@code -o json}) for scripts. */
final class Output {
    final PrintStream out;
    final boolean json;
    private final Instant now;

    Output(PrintStream out, boolean json, Instant now) {
        this.out = out;
        this.json = json;
        this.now = now;
    }

    void json(Object value) {
        out.println(Json.pretty(value));
    }

    /** {@code value} as JSON with {@code -o json}; otherwise what {@code forPeople} prints. */
    void print(Object value, Runnable forPeople) {
        if (json) {
            json(value);
        } else {
            forPeople.run();
        }
    }

    /** Columns padded to their widest cell; the last column is not padded. */
    void table(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int[] widths = new int[header.size()];
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (widths[i] + 2) + "s", row.get(i)));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** "name: value" lines for one object, skipping absent values. */
    void fields(List<String[]> pairs) {
        int width = pairs.stream().mapToInt(p -> p[0].length()).max().orElse(0);
        for (String[] p : pairs) {
            if (p[1] != null && !p[1].isEmpty()) {
                out.println(String.format("%-" + (width + 1) + "s %s", p[0] + ":", p[1]));
            }
        }
    }

    /** A field's text, or "" when absent. */
    static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isMissingNode() || v.isNull() ? "" : v.isValueNode() ? v.asText() : v.toString();
    }

    /** "5m", "2h", "3d" since an ISO instant. */
    String age(String instant) {
        if (instant == null || instant.isEmpty()) {
            return "";
        }
        Duration d = Duration.between(Instant.parse(instant), now);
        if (d.toSeconds() < 120) {
            return Math.max(0, d.toSeconds()) + "s";
        }
        if (d.toMinutes() < 120) {
            return d.toMinutes() + "m";
        }
        if (d.toHours() < 48) {
            return d.toHours() + "h";
        }
        return d.toDays() + "d";
    }

    /** A JSON list as "a,b,c". */
    static String list(JsonNode array) {
        return join(array, ",");
    }

    static String join(JsonNode array, String separator) {
        List<String> items = new ArrayList<>();
        array.forEach(v -> items.add(v.asText()));
        return String.join(separator, items);
    }
}
