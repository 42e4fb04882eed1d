package dev.gantry.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

import dev.gantry.api.live.LiveState;
import dev.gantry.job.Assignment;
import dev.gantry.job.Keys;
import dev.gantry.job.Node;
import dev.gantry.job.NodeState;
import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.kv.client.Informer;

/**
 * {@code /api/v1/views}: read models for the console, answered from this server's live copy of the store
 * ({@link LiveState}) rather than by reading the store: counts across every job and node, and the jobs table sorted
 * and paged in any order. As current as the server's watches (usually milliseconds behind); {@code revision} says
 * how current. 503 while the server is still reading the store after its start.
 */
@Path("/api/v1/views")
@Produces(MediaType.APPLICATION_JSON)
public class ViewsResource {
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    static final String DEFAULT_SORT = "-createdAt";

    /** The columns the jobs table sorts by; ties are broken by id. */
    private static final Map<String, Comparator<Task>> SORTS = Map.of(
            "createdAt", Comparator.comparing(Task::createdAt, Comparator.nullsFirst(Comparator.naturalOrder())),
            "updatedAt", Comparator.comparing(Task::updatedAt, Comparator.nullsFirst(Comparator.naturalOrder())),
            "name", Comparator.comparing(t -> t.spec().name()),
            "status", Comparator.comparing(Task::status),
            "priority", Comparator.comparingInt(t -> t.spec().priorityOrDefault()),
            "progress", Comparator.comparingDouble(ViewsResource::percent),
            "node", Comparator.comparing(Task::node, Comparator.nullsFirst(Comparator.naturalOrder())));

    @Inject
    LiveState live;

    @GET
    @Path("overview")
    @Operation(summary = "Jobs by status, nodes by status, GPUs busy/free, from the live copy of the store")
    public Overview overview() {
        requireReady();
        Informer.Snapshot<Task> tasks = live.tasks();
        Map<TaskStatus, Integer> jobs = new EnumMap<>(TaskStatus.class);
        for (TaskStatus status : TaskStatus.values()) {
            jobs.put(status, 0);
        }
        tasks.entries().forEach(e -> jobs.merge(e.value().status(), 1, Integer::sum));

        int ready = 0, cordoned = 0, draining = 0, lost = 0, offline = 0, invalid = 0;
        int total = 0, busy = 0, free = 0;
        Map<String, int[]> models = new TreeMap<>();
        List<NodeView> views = nodeViews();
        for (NodeView node : views) {
            switch (node.status()) {
                case "ready" -> ready++;
                case "cordoned" -> cordoned++;
                case "draining" -> draining++;
                case "lost" -> lost++;
                case "offline" -> offline++;
                default -> invalid++;
            }
            if (node.gpus() == null) {
                continue;
            }
            Set<String> held = new HashSet<>(node.gpusInUse());
            for (Node.Gpu gpu : node.gpus()) {
                boolean isBusy = held.contains(String.valueOf(gpu.index())) || (gpu.uuid() != null && held.contains(gpu.uuid()));
                boolean isFree = !isBusy && gpu.healthy() && node.status().equals("ready");
                int[] model = models.computeIfAbsent(gpu.name() == null ? "unknown" : gpu.name(), n -> new int[3]);
                total++;
                model[0]++;
                if (isBusy) {
                    busy++;
                    model[1]++;
                } else if (isFree) {
                    free++;
                    model[2]++;
                }
            }
        }
        return new Overview(tasks.revision(), jobs, tasks.entries().size(),
                new Overview.NodeCounts(views.size(), ready, cordoned, draining, lost, offline, invalid),
                new Overview.GpuCounts(total, busy, free, total - busy - free),
                models.entrySet().stream().map(m -> new Overview.GpuModel(m.getKey(), m.getValue()[0], m.getValue()[1], m.getValue()[2])).toList());
    }

    /** Every node as {@code GET /api/v1/nodes} shows it, from the live copy. */
    private List<NodeView> nodeViews() {
        Map<String, String> nodes = new HashMap<>();
        live.nodes().forEach(e -> nodes.put(Keys.lastSegment(e.key()), e.value()));
        Map<String, NodeState> states = new HashMap<>();
        live.nodeStates().forEach(e -> states.put(Keys.lastSegment(e.key()), e.value()));
        Map<String, List<Assignment>> assigned = new HashMap<>();
        live.assignments().forEach(e -> assigned.computeIfAbsent(e.value().node(), n -> new ArrayList<>()).add(e.value()));
        TreeSet<String> ids = new TreeSet<>(nodes.keySet());
        ids.addAll(states.keySet());
        ids.addAll(assigned.keySet());
        return ids.stream().map(id -> NodesResource.view(id, nodes.get(id), states.get(id), assigned.getOrDefault(id, List.of()))).toList();
    }

    /**
     * The jobs table: filtered like {@code GET /api/v1/jobs} (but {@code name} matches any part of the name, and
     * {@code node} the node a job runs on), sorted by {@code sort} (a column, {@code -} in front for descending),
     * one page from {@code offset}.
     */
    @GET
    @Path("jobs")
    @Operation(summary = "The jobs table: filtered, sorted, paged by offset, with the total that matched")
    public JobTable jobs(
            @Parameter(description = "PENDING, RUNNING, ...; repeatable or comma-separated") @QueryParam("status") List<String> status,
            @Parameter(description = "part of the job name, any case") @QueryParam("name") String name,
            @Parameter(description = "key=value; repeatable, all must match") @QueryParam("label") List<String> labels,
            @Parameter(description = "the node the job is placed on") @QueryParam("node") String node,
            @Parameter(description = "createdAt, updatedAt, name, status, priority, progress, node; prefix - for descending (default -createdAt)")
            @QueryParam("sort") String sort,
            @QueryParam("offset") String offset,
            @Parameter(description = "1.." + MAX_LIMIT + " (default " + DEFAULT_LIMIT + ")") @QueryParam("limit") String limit) {
        requireReady();
        Predicate<Task> filter = JobsResource.statusFilter(status).and(nameContains(name)).and(JobsResource.labelFilter(labels))
                .and(node == null || node.isEmpty() ? t -> true : t -> node.equals(t.node()));
        String order = sort == null || sort.isEmpty() ? DEFAULT_SORT : sort;
        Comparator<Task> comparator = comparator(order);
        int from = number("offset", offset, 0, 0, Integer.MAX_VALUE);
        int size = number("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
        Informer.Snapshot<Task> tasks = live.tasks();
        List<Task> matching = tasks.entries().stream().map(Informer.Entry::value)
                .filter(t -> t.id() != null && t.spec() != null && t.status() != null).filter(filter).sorted(comparator).toList();
        List<JobRow> page = matching.subList(Math.min(from, matching.size()), Math.min(from + size, matching.size())).stream()
                .map(JobRow::of).toList();
        return new JobTable(page, matching.size(), from, size, order, tasks.revision());
    }

    private static Comparator<Task> comparator(String sort) {
        boolean descending = sort.startsWith("-");
        String column = descending ? sort.substring(1) : sort;
        Comparator<Task> by = SORTS.get(column);
        if (by == null) {
            throw ApiException.badField("sort", "must be one of " + new TreeSet<>(SORTS.keySet()) + ", optionally with - in front, not '" + sort + "'");
        }
        Comparator<Task> ordered = descending ? by.reversed() : by;
        return ordered.thenComparing(Task::id);
    }

    private static Predicate<Task> nameContains(String name) {
        if (name == null || name.isBlank()) {
            return t -> true;
        }
        String part = name.trim().toLowerCase(Locale.ROOT);
        return t -> t.spec().name().toLowerCase(Locale.ROOT).contains(part);
    }

    private static double percent(Task task) {
        return task.progress() == null || task.progress().percent() == null ? -1 : task.progress().percent();
    }

    private static int number(String field, String value, int byDefault, int min, int max) {
        if (value == null || value.isEmpty()) {
            return byDefault;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiException.badField(field, max == Integer.MAX_VALUE ? "must be an integer of at least " + min
                : "must be an integer between " + min + " and " + max);
    }

    private void requireReady() {
        requireReady(live);
    }

    /** 503 until the server's first reading of the store is done: before, the views would show an empty cluster. */
    static void requireReady(LiveState live) {
        if (!live.ready()) {
            throw new ApiException(503, "the server is still reading the store; retry in a moment", List.of());
        }
    }
}
