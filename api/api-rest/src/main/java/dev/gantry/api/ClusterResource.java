package dev.gantry.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.gantry.kv.api.etcd.AlarmRequest;
import dev.gantry.kv.api.etcd.AlarmResponse;
import dev.gantry.kv.api.etcd.MemberListRequest;
import dev.gantry.kv.api.etcd.MemberListResponse;
import dev.gantry.kv.api.etcd.StatusRequest;
import dev.gantry.kv.api.etcd.StatusResponse;
import dev.gantry.kv.client.KvClient;
import io.grpc.StatusRuntimeException;

/** {@code /api/v1/cluster}: what {@code etcdctl endpoint status}, {@code member list} and {@code alarm list} show, in one answer. */
@Path("/api/v1/cluster")
@Produces(MediaType.APPLICATION_JSON)
public class ClusterResource {
    @Inject
    KvClient kv;

    @GET
    public ClusterStatus status() {
        try {
            StatusResponse status = kv.maintenanceStub().status(StatusRequest.getDefaultInstance());
            MemberListResponse members = kv.clusterStub().memberList(MemberListRequest.getDefaultInstance());
            AlarmResponse alarms = kv.maintenanceStub().alarm(AlarmRequest.newBuilder().setAction(AlarmRequest.AlarmAction.GET).build());
            String leaderName = members.getMembersList().stream().filter(m -> m.getID() == status.getLeader())
                    .map(m -> m.getName()).findFirst().orElse(null);
            return new ClusterStatus(
                    hex(status.getHeader().getClusterId()), hex(status.getHeader().getMemberId()),
                    status.getLeader() == 0 ? null : hex(status.getLeader()), leaderName,
                    status.getRaftTerm(), status.getRaftIndex(), status.getHeader().getRevision(),
                    status.getDbSize(), status.getDbSizeInUse(), status.getDbSizeQuota(), status.getVersion(),
                    members.getMembersList().stream().map(m -> new ClusterStatus.Member(hex(m.getID()), m.getName(),
                            m.getPeerURLsList(), m.getClientURLsList(), m.getIsLearner())).toList(),
                    alarms.getAlarmsList().stream().map(a -> new ClusterStatus.Alarm(hex(a.getMemberID()), a.getAlarm().name())).toList(),
                    status.getErrorsList());
        } catch (StatusRuntimeException e) {
            throw new ApiException(503, "the store did not answer: " + e.getStatus().getCode() + " " + e.getStatus().getDescription(),
                    java.util.List.of());
        }
    }

    static String hex(long id) {
        return Long.toHexString(id);
    }
}
