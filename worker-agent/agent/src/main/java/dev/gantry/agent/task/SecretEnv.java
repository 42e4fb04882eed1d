package dev.gantry.agent.task;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.gantry.job.Keys;
import dev.gantry.job.Secret;
import dev.gantry.job.TaskSpec;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;

/**
 * A task's secret environment: each variable of its spec's {@code secretEnv} with the value of the secret it names,
 * read from {@code /secrets/<name>} when the task starts. The values live in the agent's memory and the process's
 * environment only: never in the task's directory, on its command line, or in a log.
 */
final class SecretEnv {
    private final KvClient client;

    SecretEnv(KvClient client) {
        this.client = client;
    }

    /** A referenced secret that does not exist (deleted after the job was submitted); the message names each one. */
    static final class Missing extends Exception {
        Missing(Map<String, String> missing) {
            super(describe(missing));
        }

        private static String describe(Map<String, String> missing) {
            String each = missing.entrySet().stream().map(e -> "'" + e.getValue() + "' (for " + e.getKey() + ")")
                    .collect(Collectors.joining(", "));
            return missing.size() == 1 ? "secret " + each + " does not exist" : "secrets " + each + " do not exist";
        }
    }

    /** Variable → value, for every entry of {@code spec.secretEnv()}. */
    Map<String, String> read(TaskSpec spec) throws Missing {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> missing = new TreeMap<>();
        if (spec.secretEnv() == null) {
            return values;
        }
        spec.secretEnv().forEach((variable, name) -> {
            Optional<Secret> secret = secret(name);
            if (secret.isPresent()) {
                values.put(variable, secret.get().value());
            } else {
                missing.put(variable, name);
            }
        });
        if (!missing.isEmpty()) {
            throw new Missing(missing);
        }
        return values;
    }

    /** The values of the secrets a task references now, those that exist: what its log is masked with. */
    List<String> currentValues(TaskSpec spec) {
        if (spec.secretEnv() == null) {
            return List.of();
        }
        return spec.secretEnv().values().stream().distinct().map(this::secret).flatMap(Optional::stream).map(Secret::value).toList();
    }

    private Optional<Secret> secret(String name) {
        Optional<Kv> kv = client.get(Keys.secret(name));
        return kv.map(entry -> Secret.read(entry.key(), entry.value()));
    }
}
