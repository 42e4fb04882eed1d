package dev.gantry.server.http;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.gantry.kv.api.etcd.AlarmMember;
import dev.gantry.kv.raft.KvMember;

/**
 * etcd's {@code /health}: {@code {"health":"true"}} (HTTP 200) while this member has a leader, serves
 * requests and no alarm is active (a NOSPACE alarm: the cluster refuses writes), else {@code "false"} with a
 * reason (HTTP 503), as load balancers and scripts written for etcd expect. Quarkus's own {@code /q/health/live} and {@code /q/health/ready} are served beside it.
 */
@Path("/health")
public class EtcdHealthResource {
    @Inject
    KvMember member;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response health() {
        List<AlarmMember> alarms = member.alarms();
        String reason = !member.started().isDone() ? "NOT_STARTED"
                : !alarms.isEmpty() ? "ALARM " + alarms.get(0).getAlarm()
                : !member.hasLeader() ? "RAFT NO LEADER" : "";
        return Response.status(reason.isEmpty() ? 200 : 503)
                .entity(Map.of("health", String.valueOf(reason.isEmpty()), "reason", reason))
                .build();
    }
}
