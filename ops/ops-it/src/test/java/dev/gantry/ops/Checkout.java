package dev.gantry.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** The checkout under test: the repository root ({@code -Dgantry.home}), where bin/, ops/ and examples/ are. */
final class Checkout {
    private static final YAMLMapper YAML = new YAMLMapper();

    private Checkout() {
    }

    static Path root() {
        String home = System.getProperty("gantry.home");
        Path dir = home != null ? Path.of(home) : Path.of("").toAbsolutePath();
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("bin/gantry"))) {
                return p;
            }
        }
        throw new IllegalStateException("no bin/gantry in " + dir + " or above it: set -Dgantry.home to the repository root");
    }

    static Path path(String relative) {
        return root().resolve(relative);
    }

    static String read(String relative) {
        try {
            return Files.readString(path(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every document of a YAML file ({@code ---} separated), as trees. */
    static List<JsonNode> yamlDocuments(String relative) {
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(read(relative))) {
            return docs.readAll().stream().filter(doc -> doc != null && !doc.isNull() && !doc.isMissingNode()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(relative + " is not valid YAML", e);
        }
    }

    static JsonNode yaml(String relative) {
        List<JsonNode> docs = yamlDocuments(relative);
        if (docs.size() != 1) {
            throw new IllegalStateException(relative + " holds " + docs.size() + " YAML documents, not 1");
        }
        return docs.getFirst();
    }
}
