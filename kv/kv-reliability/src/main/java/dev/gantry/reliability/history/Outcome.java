package dev.gantry.reliability.history;

/** How an operation ended, as the client knows it. */
public enum Outcome {
    /** Answered: it took effect (writes) or its result is valid (reads). */
    OK,
    /** Certainly had no effect (a read that failed; a request rejected before it was sent). */
    FAIL,
    /** Timed out or the connection broke: it may have taken effect at any time after it was sent, or never. */
    UNKNOWN
}
