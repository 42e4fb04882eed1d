package dev.gantry.job;

import java.util.List;

/** A submission that cannot be accepted, with every problem found; an API answers it with 400. */
public final class InvalidSpec extends RuntimeException {
    private final List<FieldError> errors;

    public InvalidSpec(String message, List<FieldError> errors) {
        super(message);
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
