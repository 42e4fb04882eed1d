package dev.gantry.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A command's arguments: {@code --flag value}, {@code --flag=value}, boolean {@code --flag}, repeatable flags,
 * positionals, and everything after {@code --} kept apart (a job's command). Flags a command does not declare
 * are usage errors.
 */
final class Args {
    private final Map<String, List<String>> values = new HashMap<>();
    private final List<String> positionals = new ArrayList<>();
    private final List<String> rest = new ArrayList<>();
    private boolean dashDash;

    /**
     * @param valueFlags   flags that take a value (without "--"; a one-letter flag is written "-f")
     * @param booleanFlags flags that do not
     */
    static Args parse(List<String> args, Set<String> valueFlags, Set<String> booleanFlags) {
        Args parsed = new Args();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (parsed.dashDash) {
                parsed.rest.add(arg);
            } else if (arg.equals("--")) {
                parsed.dashDash = true;
            } else if (arg.startsWith("-") && arg.length() > 1) {
                String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
                int eq = body.indexOf('=');
                String name = eq >= 0 ? body.substring(0, eq) : body;
                if (booleanFlags.contains(name) && eq < 0) {
                    parsed.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
                } else if (valueFlags.contains(name)) {
                    String value;
                    if (eq >= 0) {
                        value = body.substring(eq + 1);
                    } else if (i + 1 < args.size()) {
                        value = args.get(++i);
                    } else {
                        throw new UsageError("flag " + arg + " needs a value");
                    }
                    parsed.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
                } else {
                    throw new UsageError("unknown flag " + arg);
                }
            } else {
                parsed.positionals.add(arg);
            }
        }
        return parsed;
    }

    boolean has(String flag) {
        return values.containsKey(flag);
    }

    /** The flag's last value, or null. */
    String value(String flag) {
        List<String> v = values.get(flag);
        return v == null ? null : v.getLast();
    }

    List<String> all(String flag) {
        return values.getOrDefault(flag, List.of());
    }

    Integer integer(String flag) {
        String v = value(flag);
        if (v == null) {
            return null;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageError("--" + flag + " must be an integer, not '" + v + "'");
        }
    }

    List<String> positionals() {
        return positionals;
    }

    /** The one positional a command takes, e.g. a job id. */
    String single(String what) {
        if (positionals.size() != 1) {
            throw new UsageError(positionals.isEmpty() ? "missing " + what : "expected one " + what + ", got " + positionals);
        }
        return positionals.getFirst();
    }

    void noPositionals() {
        if (!positionals.isEmpty()) {
            throw new UsageError("unexpected argument '" + positionals.getFirst() + "'");
        }
    }

    /** Arguments after {@code --}. */
    List<String> rest() {
        return rest;
    }

    boolean hasRest() {
        return dashDash;
    }
}
