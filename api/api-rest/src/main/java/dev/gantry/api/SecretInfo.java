package dev.gantry.api;

import java.time.Instant;

/** What the API says about a secret: never its value, only its name, size in bytes, and when it was written. */
public record SecretInfo(String name, int size, Instant createdAt, Instant updatedAt, long modRevision) {
}
