package dev.gantry.job;

/** One problem with a submitted document: the JSON path of the field ({@code resources.gpus}) and what is wrong. */
public record FieldError(String field, String message) {
    @Override
    public String toString() {
        return field == null || field.isEmpty() ? message : field + ": " + message;
    }
}
