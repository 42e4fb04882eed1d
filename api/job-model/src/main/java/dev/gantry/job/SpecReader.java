package dev.gantry.job;

import java.util.List;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Turns a submitted JSON or YAML document into a valid {@link TaskSpec} with its defaults, or an
 * {@link InvalidSpec} that names each problem: the line and column of a syntax error, the path of an unknown
 * or mistyped field, and every failed rule of {@link SpecValidator}.
 */
public final class SpecReader {
    public enum Format {
        JSON, YAML
    }

    private SpecReader() {
    }

    public static TaskSpec read(String text, Format format) {
        if (text == null || text.isBlank()) {
            throw new InvalidSpec("the job is empty", List.of());
        }
        ObjectMapper mapper = format == Format.YAML ? Json.yaml() : Json.mapper();
        TaskSpec spec;
        try {
            spec = mapper.readValue(text, TaskSpec.class);
        } catch (UnrecognizedPropertyException e) {
            String path = path(e);
            throw new InvalidSpec("unknown field '" + path + "'", List.of(new FieldError(path, "unknown field")));
        } catch (MismatchedInputException e) {
            String path = path(e);
            String message = "must be " + describe(e.getTargetType());
            if (path.isEmpty()) {
                throw new InvalidSpec("the job must be a " + format + " object" + at(e.getLocation()), List.of());
            }
            throw new InvalidSpec("invalid value for '" + path + "': " + message + at(e.getLocation()),
                    List.of(new FieldError(path, message)));
        } catch (StreamReadException e) {
            throw new InvalidSpec("malformed " + format + at(e.getLocation()) + ": " + firstLine(e.getOriginalMessage()), List.of());
        } catch (JsonProcessingException e) {
            throw new InvalidSpec("cannot read the job: " + firstLine(e.getOriginalMessage()), List.of());
        }
        if (spec == null) {
            throw new InvalidSpec("the job is empty", List.of());
        }
        List<FieldError> errors = SpecValidator.validate(spec);
        if (!errors.isEmpty()) {
            throw new InvalidSpec(errors.size() == 1 ? "invalid job: " + errors.get(0) : "invalid job: " + errors.size() + " problems", errors);
        }
        return spec.withDefaults();
    }

    /** {@code resources.gpus}, {@code datasets[2]}: the JSON path of a mapping error. */
    static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (java.util.Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "an object";
        }
        return "a " + type.getSimpleName();
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 0) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
