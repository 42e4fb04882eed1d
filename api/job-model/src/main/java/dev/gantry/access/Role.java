package dev.gantry.access;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What an API token may do; each role includes the ones before it. A viewer reads everything; a submitter also
 * submits jobs and cancels its own; an operator also cancels anyone's, cordons and drains nodes, and sets
 * configuration and secrets; an admin may do anything the API offers.
 */
public enum Role {
    VIEWER, SUBMITTER, OPERATOR, ADMIN;

    public boolean includes(Role required) {
        return compareTo(required) >= 0;
    }

    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code viewer}, {@code submitter}, {@code operator} or {@code admin}; anything else is refused by name. */
    @JsonCreator
    public static Role parse(String label) {
        for (Role role : values()) {
            if (role.label().equals(label)) {
                return role;
            }
        }
        throw new IllegalArgumentException("unknown role '" + label + "': one of "
                + Arrays.stream(values()).map(Role::label).collect(Collectors.joining(", ")));
    }
}
