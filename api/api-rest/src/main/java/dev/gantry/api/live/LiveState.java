package dev.gantry.api.live;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.gantry.job.Assignment;
import dev.gantry.job.Json;
import dev.gantry.job.Keys;
import dev.gantry.job.NodeState;
import dev.gantry.job.Task;
import dev.gantry.kv.client.Informer;
import dev.gantry.kv.client.KvClient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * This server's live copy of the job layer's keys ({@code /tasks/}, {@code /nodes/}, {@code /config/nodes/},
 * {@code /assignments/}), kept by informers (list, then watch), from which the console's views are answered without
 * reading the store on every request. Each change after the first listing becomes a {@link LiveEvent} on the
 * {@link EventHub}, and each new progress record of a task goes into its {@link ProgressHistory}.
 *
 * <p>Started with the server, in the background: the store may not have a leader yet, so the first listing is
 * retried until it succeeds. Until then {@link #ready()} is false and the views answer 503.
 */
@Singleton
public class LiveState {
    private static final Logger LOG = Logger.getLogger(LiveState.class);
    private static final Duration LEADER_POLL = Duration.ofSeconds(2);
    private static final Duration RETRY_MAX = Duration.ofSeconds(5);

    @Inject
    KvClient kv;

    @Inject
    EventHub hub;

    private final ProgressHistory history = new ProgressHistory();
    private final Clock clock = Clock.systemUTC();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "live-state");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Informer<Task> tasks;
    /** Raw values: a node key that does not parse is shown as invalid, as {@code /api/v1/nodes} shows it. */
    private volatile Informer<String> nodes;
    private volatile Informer<NodeState> nodeStates;
    private volatile Informer<Assignment> assignments;
    private volatile boolean ready;
    private volatile boolean stopped;
    /** The thread doing the first listings: their "created" notices are the existing state, not news. */
    private volatile Thread listing;

    void onStart(@Observes StartupEvent event) {
        timer.execute(() -> start(1));
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        timer.shutdownNow();
        for (Informer<?> informer : new Informer<?>[] {tasks, nodes, nodeStates, assignments}) {
            if (informer != null) {
                informer.close();
            }
        }
    }

    private void start(int attempt) {
        if (stopped) {
            return;
        }
        listing = Thread.currentThread();
        try {
            if (assignments == null) {
                // No events of their own (the task's change says it all); kept for the GPUs each node has in use.
                assignments = started(Keys.ASSIGNMENTS, v -> Json.read(v, Assignment.class), (key, before, after) -> { });
            }
            if (nodeStates == null) {
                nodeStates = started(Keys.NODE_STATES, v -> Json.read(v, NodeState.class), this::nodeStateChanged);
            }
            if (nodes == null) {
                nodes = started(Keys.NODES, v -> v, this::nodeChanged);
            }
            if (tasks == null) {
                tasks = started(Keys.TASKS, v -> Json.read(v, Task.class), this::taskChanged);
            }
            ready = true;
            LOG.infof("live view of the store ready: %d tasks, %d nodes at revision %d", tasks.entries().size(), nodes.entries().size(),
                    tasks.revision());
        } catch (RuntimeException e) {
            long delay = Math.min(RETRY_MAX.toMillis(), 250L * attempt);
            if (attempt % 10 == 0) {
                LOG.warnf("live view: reading the store failed %d times, retrying (%s)", attempt, e.getMessage());
            }
            timer.schedule(() -> start(attempt + 1), delay, TimeUnit.MILLISECONDS);
            return;
        } finally {
            listing = null;
        }
        LeaderWatch leaders = new LeaderWatch(kv, hub::publish);
        timer.scheduleWithFixedDelay(() -> {
            try {
                leaders.poll();
            } catch (RuntimeException e) {
                LOG.debugf("leader poll failed: %s", e.getMessage());
            }
        }, 0, LEADER_POLL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private <T> Informer<T> started(String prefix, Function<String, T> decoder, Informer.Listener<T> listener) {
        Informer<T> informer = new Informer<>(kv, prefix, decoder).addListener(listener);
        try {
            return informer.start();
        } catch (RuntimeException e) {
            informer.close();
            throw e;
        }
    }

    private boolean initial() {
        return Thread.currentThread() == listing;
    }

    private void taskChanged(String key, Informer.Entry<Task> before, Informer.Entry<Task> after) {
        if (after != null) {
            history.record(after.value());
        } else if (before != null) {
            history.forget(before.value().id());
        }
        if (!initial()) {
            hub.publish(LiveEvent.job(before == null ? null : before.value(), after == null ? null : after.value(), clock.instant()));
        }
    }

    private void nodeChanged(String key, Informer.Entry<String> before, Informer.Entry<String> after) {
        if (!initial()) {
            hub.publish(LiveEvent.node(Keys.lastSegment(key), before != null, after != null, clock.instant()));
        }
    }

    private void nodeStateChanged(String key, Informer.Entry<NodeState> before, Informer.Entry<NodeState> after) {
        if (!initial()) {
            hub.publish(LiveEvent.operator(Keys.lastSegment(key), after == null ? null : after.value(), clock.instant()));
        }
    }

    /** Whether the first listings are done: until then the views have nothing to show. */
    public boolean ready() {
        return ready;
    }

    public Informer.Snapshot<Task> tasks() {
        return tasks.snapshot();
    }

    /** Each agent's key with its value as stored (JSON of a {@link dev.gantry.job.Node}, unless written by hand). */
    public List<Informer.Entry<String>> nodes() {
        return nodes.entries();
    }

    public List<Informer.Entry<NodeState>> nodeStates() {
        return nodeStates.entries();
    }

    public List<Informer.Entry<Assignment>> assignments() {
        return assignments.entries();
    }

    public ProgressHistory history() {
        return history;
    }

    public Optional<Task> task(String id) {
        return tasks.get(Keys.task(id)).map(Informer.Entry::value);
    }
}
