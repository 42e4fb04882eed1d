package dev.gantry.api;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.gantry.job.SpecReader;
import dev.gantry.job.SpecValidator;
import dev.gantry.job.Task;
import dev.gantry.job.TaskSpec;
import dev.gantry.job.TaskStatus;
import dev.gantry.job.Transition;

/** {@code /api/v1/jobs}: submit, list, get, cancel, events (docs/api.md). */
@Path("/api/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {
    static final String YAML = "application/yaml";
    static final String X_YAML = "application/x-yaml";
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    @Inject
    Jobs jobs;

    /**
     * Accepts a job as JSON or YAML. It is stored PENDING even when no node can run it now; the scheduler
     * writes why it waits into {@code reason}.
     */
    @POST
    @Consumes({MediaType.APPLICATION_JSON, YAML, X_YAML, MediaType.TEXT_PLAIN})
    public Response submit(String body, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType) {
        SpecReader.Format format = contentType != null && contentType.toLowerCase(Locale.ROOT).contains("yaml")
                ? SpecReader.Format.YAML : SpecReader.Format.JSON;
        TaskSpec spec = SpecReader.read(body, format);
        Task task = jobs.submit(spec, null);
        return Response.created(URI.create("/api/v1/jobs/" + task.id())).entity(task).build();
    }

    /**
     * Tasks in id order (name, then the random suffix), filtered; {@code continue} carries on after the last
     * page. Pages are read at different revisions: a task changed between pages may be missed or shown twice.
     */
    @GET
    public Page<Task> list(@QueryParam("status") List<String> status, @QueryParam("name") String name,
            @QueryParam("label") List<String> labels, @QueryParam("limit") String limit,
            @QueryParam("continue") String continueToken) {
        Predicate<Task> filter = statusFilter(status).and(nameFilter(name)).and(labelFilter(labels));
        return jobs.list(filter, limit(limit), continueToken == null || continueToken.isEmpty() ? null : continueToken);
    }

    @GET
    @Path("{id}")
    public Task get(@PathParam("id") String id) {
        return jobs.get(id).orElseThrow(() -> ApiException.notFound("no job " + id));
    }

    /** Cancels a job that has not finished; 409 with its status if it has. Optional body {@code {"reason": "..."}}. */
    @POST
    @Path("{id}/cancel")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    public Task cancel(@PathParam("id") String id, String body) {
        return jobs.cancel(id, Reason.parse(body));
    }

    /** The job's timeline: every status change, oldest first. */
    @GET
    @Path("{id}/events")
    public Page<Transition> events(@PathParam("id") String id) {
        return Page.of(get(id).timeline());
    }

    static int limit(String value) {
        if (value == null || value.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiException.badField("limit", "must be an integer between 1 and " + MAX_LIMIT);
    }

    /** {@code status=PENDING,RUNNING} or repeated, any case. */
    static Predicate<Task> statusFilter(List<String> values) {
        Set<TaskStatus> wanted = values.stream().flatMap(v -> Arrays.stream(v.split(","))).map(String::trim)
                .filter(v -> !v.isEmpty()).map(JobsResource::status).collect(Collectors.toSet());
        return wanted.isEmpty() ? t -> true : t -> wanted.contains(t.status());
    }

    private static TaskStatus status(String value) {
        try {
            return TaskStatus.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badField("status", "must be one of " + Arrays.toString(TaskStatus.values()) + ", not '" + value + "'");
        }
    }

    static Predicate<Task> nameFilter(String name) {
        if (name == null || name.isEmpty()) {
            return t -> true;
        }
        if (!SpecValidator.NAME.matcher(name).matches()) {
            throw ApiException.badField("name", "is not a valid job name");
        }
        return t -> name.equals(t.spec().name());
    }

    /** {@code label=team=nlp}, repeatable: a task must carry every one. */
    static Predicate<Task> labelFilter(List<String> values) {
        List<Map.Entry<String, String>> wanted = new ArrayList<>();
        for (String v : values) {
            int eq = v.indexOf('=');
            if (eq <= 0) {
                throw ApiException.badField("label", "must be key=value, not '" + v + "'");
            }
            wanted.add(Map.entry(v.substring(0, eq), v.substring(eq + 1)));
        }
        return t -> wanted.stream().allMatch(w -> t.spec().labels() != null && w.getValue().equals(t.spec().labels().get(w.getKey())));
    }
}
