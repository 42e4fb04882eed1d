package dev.gantry.cli;

import dev.gantry.access.ApiToken;
import dev.gantry.access.BearerToken;
import dev.gantry.access.Role;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.KvException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code gantry token create|ls|revoke}: the REST API's tokens, kept in the store under {@code /tokens/}. They are
 * managed through the etcd v3 API, not the REST API, so that whoever may write the store (with etcd auth on: its
 * root) makes the first admin token, as with {@code etcdctl user add}.
 */
final class TokenCommands extends Cli.Group {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}");
    private static final Pattern TTL = Pattern.compile("(\\d{1,6})([mhd])");
    private static final String USAGE = """
            Usage: gantry token <command>

              create --name NAME --role ROLE [--ttl T]   make a token; prints it once
              ls                                         list tokens (never their secrets)
              revoke ID                                  delete a token: it stops working at once

            Roles, each including the ones before it:
              viewer     read everything (jobs, nodes, logs, events, config)
              submitter  also submit jobs and cancel its own
              operator   also cancel anyone's jobs, cordon/drain nodes, set config and secrets
              admin      everything

            The server checks tokens when run with --api-auth on. Tokens live in the store under
            /tokens/ (a SHA-256 of each secret, never the secret): these commands talk etcd v3 to
            --endpoints (default http://localhost:2379, env GANTRY_ENDPOINTS; --cacert, --cert, --key
            as etcdctl's) and, with etcd auth on, as --user NAME --password-file FILE (root, or a
            user who may write /tokens/).
            """;
    private static final Map<String, String> USAGES = Map.of(
            "create", """
                    Usage: gantry token create --name NAME --role viewer|submitter|operator|admin [--ttl T]

                    Makes a token and prints it, once: it cannot be shown again. NAME is who holds it (a
                    person or a service, e.g. alice or ci-bot); jobs submitted with the token record it as
                    submittedBy. --ttl: how long it is valid, e.g. 90m, 12h, 30d (default: until revoked).
                    Use it with --token or GANTRY_TOKEN, or log in to the console with it.
                    """,
            "ls", """
                    Usage: gantry token ls

                    Lists the tokens: id, name, role, when made and when they expire.
                    """,
            "revoke", """
                    Usage: gantry token revoke ID

                    Deletes the token with this id (the part after 'gantry_' and before the dot, as
                    'gantry token ls' shows it); requests carrying it are refused from then on.
                    """);

    TokenCommands(Cli.Context context) {
        super(context, USAGE, USAGES);
    }

    @Override
    void run(String command, List<String> rest) {
        switch (command) {
            case "create" -> create(rest);
            case "ls" -> list(rest);
            case "revoke" -> revoke(rest);
            default -> throw new IllegalStateException(command);
        }
    }

    private void create(List<String> rest) {
        Args args = context.parse(rest, Set.of("name", "role", "ttl", "user", "password-file"), Set.of());
        args.noPositionals();
        String name = args.value("name");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new UsageError("--name is required: letters, digits and . _ @ + - (at most 64), e.g. alice or ci-bot");
        }
        if (args.value("role") == null) {
            throw new UsageError("--role is required: viewer, submitter, operator or admin");
        }
        Role role;
        try {
            role = Role.parse(args.value("role"));
        } catch (IllegalArgumentException e) {
            throw new UsageError("--role: " + e.getMessage());
        }
        Instant expires = args.has("ttl") ? context.now.plus(ttl(args.value("ttl"))) : null;
        Output output = context.output(args);
        BearerToken bearer = BearerToken.generate();
        ApiToken token = bearer.record(name, role, context.now, expires);
        withStore(args, kv -> {
            if (!kv.txn().ifAbsent(token.key()).put(token.key(), Json.write(token)).commit().succeeded()) {
                throw new CommandFailed("token id " + token.id() + " is taken; run the command again");
            }
            return null;
        });
        output.print(Map.of("id", token.id(), "name", name, "role", role.label(), "token", bearer.text()), () -> {
            output.out.println(bearer.text());
            context.err.println("Token " + token.id() + " for " + name + " (" + role.label() + ")"
                    + (expires == null ? "" : ", valid until " + expires) + ". It is shown only now: keep it safe.");
        });
    }

    private void list(List<String> rest) {
        Args args = context.parse(rest, Set.of("user", "password-file"), Set.of());
        args.noPositionals();
        Output output = context.output(args);
        List<ApiToken> tokens = withStore(args, kv -> kv.list(Keys.TOKENS).kvs().stream()
                .map(entry -> Json.read(entry.value(), ApiToken.class))
                .sorted(Comparator.comparing(ApiToken::name).thenComparing(ApiToken::created))
                .toList());
        List<Map<String, String>> shown = tokens.stream().map(t -> Map.of("id", t.id(), "name", t.name(), "role", t.role().label(),
                "created", t.created().toString(), "expires", t.expires() == null ? "" : t.expires().toString())).toList();
        output.print(shown, () -> {
            List<List<String>> rows = new ArrayList<>();
            for (ApiToken t : tokens) {
                String expires = t.expires() == null ? "never" : t.expired(context.now) ? "expired " + t.expires() : t.expires().toString();
                rows.add(List.of(t.id(), t.name(), t.role().label(), t.created().toString(), expires));
            }
            output.table(List.of("ID", "NAME", "ROLE", "CREATED", "EXPIRES"), rows);
        });
    }

    private void revoke(List<String> rest) {
        Args args = context.parse(rest, Set.of("user", "password-file"), Set.of());
        String id = args.single("token id");
        long deleted = withStore(args, kv -> kv.delete(Keys.token(id)));
        if (deleted == 0) {
            throw new CommandFailed("no token " + id + " ('gantry token ls' lists them)");
        }
        context.out.println("revoked " + id);
    }

    private <T> T withStore(Args args, Function<KvClient, T> action) {
        try (KvClient kv = context.etcd(args)) {
            return action.apply(kv);
        } catch (KvException e) {
            throw new CommandFailed("etcd request to " + context.endpoints(args) + " failed: " + e.getMessage());
        }
    }

    static Duration ttl(String text) {
        Matcher m = TTL.matcher(text);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new UsageError("--ttl must be a positive number of minutes, hours or days, e.g. 90m, 12h, 30d; not '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
