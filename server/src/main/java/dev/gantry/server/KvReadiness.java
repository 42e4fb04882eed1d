package dev.gantry.server;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.gantry.kv.raft.KvMember;
import dev.gantry.kv.cluster.MemberId;

/**
 * Ready when this member knows a Raft leader and has started (published its attributes): until then it
 * serves no etcd request.
 */
@Readiness
@ApplicationScoped
public class KvReadiness implements HealthCheck {
    @Inject
    KvMember member;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("kv")
                .status(member.hasLeader() && member.started().isDone())
                .withData("member", MemberId.hex(member.memberId()))
                .withData("leader", MemberId.hex(member.leaderId()))
                .withData("raftTerm", member.raftTerm())
                .withData("appliedIndex", member.appliedIndex())
                .build();
    }
}
