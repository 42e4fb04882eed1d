package dev.gantry.server;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.cluster.Urls;
import dev.gantry.kv.concurrency.Elections;
import dev.gantry.kv.concurrency.Locks;
import dev.gantry.kv.raft.KvMember;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

/** Starts this server's KV member from the {@code gantry.*} configuration (etcd's flags), and closes it at shutdown. */
@ApplicationScoped
public class KvMemberProducer {
    private static final Logger LOG = Logger.getLogger(KvMemberProducer.class);

    @Produces
    @Singleton
    KvMember member() {
        return KvMember.start(MemberConfig.parse(flags()));
    }

    /** etcd's lock recipe on this member, for the Lock service. */
    @Produces
    @Singleton
    Locks locks(KvMember member) {
        return new Locks(member);
    }

    /** etcd's election recipe on this member, for the Election service. */
    @Produces
    @Singleton
    Elections elections(KvMember member) {
        return new Elections(member);
    }

    void close(@Disposes KvMember member) {
        member.close();
    }

    void onStart(@Observes StartupEvent event, KvMember member) {
        String client = Urls.join(member.advertiseClientUrls());
        LOG.infof("Gantry server '%s' is up. etcd v3 endpoint: %s (try: etcdctl --endpoints=%s endpoint status -w table)",
                member.name(), client, client);
        // The HTTP listener as GantryMain chose it: its scheme is https when the client side has TLS.
        LOG.infof("Web console: %s (REST API under /api/v1)", GantryMain.httpUrl(flags(), member.config().listenClientUrls().get(0)).resolve("/"));
        // As etcd: a member removed from the cluster stops. Exit status 0, so that supervisors do not restart it.
        member.removed().thenRun(() -> {
            LOG.warn("this member has been removed from the cluster: shutting down");
            Quarkus.asyncExit(0);
        });
    }

    /** The {@code gantry.<flag>} properties, keyed by flag name. */
    public static Map<String, String> flags() {
        Config config = ConfigProvider.getConfig();
        Map<String, String> flags = new LinkedHashMap<>();
        for (String flag : GantryMain.KNOWN_FLAGS) {
            config.getOptionalValue("gantry." + flag, String.class).ifPresent(v -> flags.put(flag, v));
        }
        return flags;
    }
}
