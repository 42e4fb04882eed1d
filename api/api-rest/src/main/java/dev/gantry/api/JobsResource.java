package dev.gantry.api;

import dev.gantry.api.access.ApiCaller;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.SecurityContext;

import java.io.InputStream;
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
import jakarta.ws.rs.DefaultValue;
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
import jakarta.ws.rs.core.StreamingOutput;

import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

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

    @Inject
    JobLogs logs;

    @Inject
    Secrets secrets;

    /**
     * Accepts a job as JSON or YAML. It is stored PENDING even when no node can run it now; the scheduler
     * writes why it waits into {@code reason}.
     */
    @POST
    @Consumes({MediaType.APPLICATION_JSON, YAML, X_YAML, MediaType.TEXT_PLAIN})
    @RequestBody(content = @Content(schema = @Schema(implementation = TaskSpec.class)))
    @APIResponse(responseCode = "201", description = "the stored task, PENDING", content = @Content(schema = @Schema(implementation = Task.class)))
    @APIResponse(responseCode = "400", description = "invalid job, or a secret it references does not exist", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response submit(String body, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, @Context SecurityContext security) {
        SpecReader.Format format = contentType != null && contentType.toLowerCase(Locale.ROOT).contains("yaml")
                ? SpecReader.Format.YAML : SpecReader.Format.JSON;
        TaskSpec spec = SpecReader.read(body, format);
        secrets.requireReferenced(spec);
        Task task = jobs.submit(spec, ApiCaller.of(security).name());
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

    /**
     * Cancels a job that has not finished; 409 with its status if it has. Optional body {@code {"reason": "..."}}.
     * A submitter may cancel only its own jobs (403 otherwise); an operator any.
     */
    @POST
    @Path("{id}/cancel")
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    public Task cancel(@PathParam("id") String id, String body, @Context SecurityContext security) {
        ApiCaller caller = ApiCaller.of(security);
        String owner = get(id).submittedBy();
        if (!caller.mayCancel(owner)) {
            throw new ApiException(403, caller.name() + " may cancel only the jobs it submitted; " + id + " was submitted by "
                    + (owner == null ? "nobody known" : owner), List.of());
        }
        return jobs.cancel(id, Reason.parse(body));
    }

    /**
     * The job's output, relayed from the agent of its node: the last {@code tail} lines of {@code stdout} (or
     * {@code stderr}); with {@code follow=true} the response goes on streaming what the process writes until it
     * ends, as {@code kubectl logs -f}. 404 before the job has run; 503 when its node is not connected.
     */
    @GET
    @Path("{id}/logs")
    @Produces(MediaType.TEXT_PLAIN)
    @APIResponse(responseCode = "200", description = "the log, text/plain; streamed with follow=true")
    @APIResponse(responseCode = "404", description = "no such job, or it has not run yet")
    @APIResponse(responseCode = "503", description = "the job's node is not connected")
    public Response logs(@PathParam("id") String id, @QueryParam("stream") @DefaultValue("stdout") String stream,
            @QueryParam("tail") @DefaultValue("200") String tail, @QueryParam("follow") @DefaultValue("false") boolean follow) {
        if (!stream.equals("stdout") && !stream.equals("stderr")) {
            throw ApiException.badField("stream", "must be stdout or stderr");
        }
        int lines;
        try {
            lines = Integer.parseInt(tail);
        } catch (NumberFormatException e) {
            lines = -1;
        }
        if (lines < 0 || lines > 10_000) {
            throw ApiException.badField("tail", "must be a number of lines between 0 and 10000");
        }
        InputStream log = logs.open(get(id), stream, lines, follow);
        StreamingOutput body = out -> {
            try (log) {
                byte[] buffer = new byte[8192];
                int n;
                while ((n = log.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush(); // follow: each chunk as the process writes it
                }
            }
        };
        return Response.ok(body, MediaType.TEXT_PLAIN_TYPE.withCharset("utf-8")).header("Cache-Control", "no-store").build();
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
