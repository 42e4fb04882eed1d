package dev.gantry.api;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.Lifecycle;
import dev.gantry.job.Task;
import dev.gantry.job.TaskIds;
import dev.gantry.job.TaskSpec;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.Kv;
import dev.gantry.kv.client.KvClient;
import dev.gantry.kv.client.Listing;
import dev.gantry.kv.client.TxnResult;

/**
 * The API's writes and reads of {@code /tasks/}: each write is one txn that compares what it read (a new id is
 * absent, a cancelled task is unchanged since it was read), so it never overwrites a scheduler's or an agent's
 * concurrent change; on a lost race it reads again and retries.
 */
@Singleton
public class Jobs {
    private static final Logger LOG = Logger.getLogger(Jobs.class);
    private static final int ATTEMPTS = 10;

    private final KvClient kv;
    private final Clock clock;

    @Inject
    public Jobs(KvClient kv) {
        this(kv, Clock.systemUTC());
    }

    Jobs(KvClient kv, Clock clock) {
        this.kv = kv;
        this.clock = clock;
    }

    /**
     * Stores a new PENDING task for a validated spec under a fresh id. The client retries a txn whose answer was
     * lost (UNAVAILABLE after a leader change) and it may have applied the first time: then the retry finds the key
     * taken by this very task (same id, same creation instant), which is success, not a reason to try another id —
     * that made a second job of one submit.
     */
    public Task submit(TaskSpec spec, String submittedBy) {
        for (int i = 0; i < ATTEMPTS; i++) {
            String id = TaskIds.generate(spec.name());
            Task task = Task.submitted(id, spec, submittedBy, clock.instant());
            TxnResult result = kv.txn().ifAbsent(Keys.task(id)).put(Keys.task(id), Json.write(task))
                    .elseGet(Keys.task(id)).commit();
            if (result.succeeded() || result.elseGets().stream()
                    .anyMatch(existing -> task(existing).createdAt().equals(task.createdAt()))) {
                return task;
            }
        }
        throw ApiException.conflict("could not find a free id for " + spec.name() + " after " + ATTEMPTS + " tries");
    }

    public Optional<Task> get(String id) {
        return kv.get(Keys.task(id)).map(Jobs::task);
    }

    /**
     * Cancels a task that is not final. A SCHEDULED or RUNNING task's assignment is deleted in the same txn: its
     * agent sees the delete and stops the process.
     */
    public Task cancel(String id, String reason) {
        Optional<Kv> current = kv.get(Keys.task(id));
        for (int i = 0; i < ATTEMPTS; i++) {
            Kv read = current.orElseThrow(() -> ApiException.notFound("no job " + id));
            Task task = task(read);
            Task cancelled = Lifecycle.cancel(task, reason, clock.instant());
            var txn = kv.txn().ifModRevision(read.key(), read.modRevision()).put(read.key(), Json.write(cancelled));
            if (task.node() != null && (task.status() == TaskStatus.SCHEDULED || task.status() == TaskStatus.RUNNING)) {
                txn = txn.delete(Keys.assignment(task.node(), id));
            }
            TxnResult result = txn.elseGet(read.key()).commit();
            if (result.succeeded()) {
                return cancelled;
            }
            current = result.elseGets().stream().findFirst(); // what changed it, read in the same round trip
            if (current.map(Jobs::task).filter(cancelled::equals).isPresent()) {
                return cancelled; // this very write: applied, but its answer was lost and the client retried it
            }
        }
        throw ApiException.conflict("job " + id + " kept changing while being cancelled; try again");
    }

    /**
     * One page of tasks matching {@code filter}, in key order (that is, by id), starting after the task named by
     * {@code continueToken}. The KV is read in batches until {@code limit} tasks matched or the prefix ends.
     */
    public Page<Task> list(Predicate<Task> filter, int limit, String continueToken) {
        String after = continueToken == null ? null : decode(continueToken);
        List<Task> items = new ArrayList<>();
        int batch = Math.max(limit, 100);
        while (true) {
            Listing listing = kv.list(Keys.TASKS, after, batch);
            for (int i = 0; i < listing.kvs().size(); i++) {
                Kv entry = listing.kvs().get(i);
                after = entry.key();
                Task task = readable(entry);
                if (task != null && filter.test(task)) {
                    items.add(task);
                    if (items.size() == limit) {
                        boolean more = i + 1 < listing.kvs().size() || listing.more();
                        return new Page<>(items, more ? encode(after) : null);
                    }
                }
            }
            if (!listing.more()) {
                return Page.of(items);
            }
        }
    }

    /** A key under /tasks/ written by hand that is not a task is skipped by listings (and logged), not fatal. */
    private static Task readable(Kv entry) {
        try {
            return task(entry);
        } catch (IllegalStateException e) {
            LOG.warnf("skipping %s: %s", entry.key(), e.getMessage());
            return null;
        }
    }

    static Task task(Kv entry) {
        return Json.read(entry.value(), Task.class);
    }

    /** The token is the last key read, opaque to clients so that the paging scheme can change. */
    static String encode(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    static String decode(String token) {
        try {
            String key = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (key.startsWith(Keys.TASKS)) {
                return key;
            }
        } catch (IllegalArgumentException e) {
            // fall through: not ours
        }
        throw ApiException.badField("continue", "is not a token this API gave out");
    }
}
