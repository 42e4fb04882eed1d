package dev.gantry.cli;

/** The command line itself is wrong: exit status 2, with the command's usage. */
final class UsageError extends RuntimeException {
    UsageError(String message) {
        super(message);
    }
}
