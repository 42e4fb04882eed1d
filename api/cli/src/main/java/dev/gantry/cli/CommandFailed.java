package dev.gantry.cli;

import java.util.List;

/** The server refused or could not be reached: exit status 1, the error and each field error on its own line. */
final class CommandFailed extends RuntimeException {
    private final List<String> details;

    CommandFailed(String message, List<String> details) {
        super(message);
        this.details = List.copyOf(details);
    }

    CommandFailed(String message) {
        this(message, List.of());
    }

    List<String> details() {
        return details;
    }
}
