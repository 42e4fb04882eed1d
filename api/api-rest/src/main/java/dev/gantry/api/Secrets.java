package dev.gantry.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import dev.gantry.job.FieldError;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Secret;
import dev.gantry.job.TaskSpec;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Txn;
import dev.gantry.kv.client.TxnResult;

/**
 * The API's reads and writes of {@code /secrets/}. Values go in and never come out: every answer is a
 * {@link SecretInfo}, and no message, error or log line quotes a stored value.
 */
@Singleton
public class Secrets {
    private static final int ATTEMPTS = 10;

    private final KvClient kv;

    @Inject
    public Secrets(KvClient kv) {
        this.kv = kv;
    }

    /** What was written: the secret's info, and whether it is new. */
    public record Written(SecretInfo info, boolean created) {
    }

    /**
     * Creates or replaces a secret; a replaced one keeps its creation time. The write compares what was read, so two
     * concurrent writers cannot both take it for new; a write whose answer was lost and that the client retried is
     * recognised by its own value in the failed compare's read.
     */
    public Written put(String name, String value) {
        String key = Keys.secret(name);
        for (int i = 0; i < ATTEMPTS; i++) {
            Optional<Kv> current = kv.get(key);
            Instant now = Instant.now();
            Instant createdAt = current.map(c -> parse(c).createdAt()).orElse(now);
            Secret secret = new Secret(value, createdAt, now);
            String stored = Json.write(secret);
            Txn txn = current.isPresent() ? kv.txn().ifModRevision(key, current.get().modRevision()) : kv.txn().ifAbsent(key);
            TxnResult result = txn.put(key, stored).elseGet(key).commit();
            Optional<Kv> mine = result.elseGets().stream().filter(e -> e.value().equals(stored)).findFirst();
            if (result.succeeded() || mine.isPresent()) {
                long revision = result.succeeded() ? result.revision() : mine.get().modRevision();
                return new Written(new SecretInfo(name, secret.size(), createdAt, now, revision), current.isEmpty());
            }
        }
        throw ApiException.conflict("secret " + name + " kept changing while being written; try again");
    }

    public Optional<SecretInfo> get(String name) {
        return kv.get(Keys.secret(name)).map(Secrets::info);
    }

    public List<SecretInfo> list() {
        return kv.list(Keys.SECRETS).kvs().stream().map(Secrets::info).toList();
    }

    /** Whether it existed. */
    public boolean delete(String name) {
        return kv.delete(Keys.secret(name)) > 0;
    }

    /**
     * A 400 naming each secret the spec references that does not exist (a job would fail at its start), so the
     * submission stores nothing.
     */
    public void requireReferenced(TaskSpec spec) {
        Map<String, String> missing = new TreeMap<>();
        spec.secretEnv().forEach((variable, name) -> {
            if (kv.get(Keys.secret(name)).isEmpty()) {
                missing.put(variable, name);
            }
        });
        if (missing.isEmpty()) {
            return;
        }
        List<FieldError> fields = missing.entrySet().stream().map(e -> new FieldError("secretEnv." + e.getKey(),
                "secret '" + e.getValue() + "' does not exist (create it with: gantry secret set " + e.getValue() + " --from-file FILE)")).toList();
        throw new ApiException(400, "no such secret: " + String.join(", ", new TreeSet<>(missing.values())), fields);
    }

    private static SecretInfo info(Kv entry) {
        Secret secret = parse(entry);
        return new SecretInfo(Keys.lastSegment(entry.key()), secret.size(), secret.createdAt(), secret.updatedAt(), entry.modRevision());
    }

    private static Secret parse(Kv entry) {
        return Secret.read(entry.key(), entry.value());
    }
}
