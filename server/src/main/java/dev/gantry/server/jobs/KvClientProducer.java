package dev.gantry.server.jobs;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;

import dev.gantry.kv.client.KvClient;
import dev.gantry.server.tls.ClientTls;

/**
 * The job layer's one {@link KvClient} in this server (REST API, scheduler): connected to this server's own
 * advertised client URLs through the etcd v3 protocol, as any other client, so the job layer runs unchanged on a
 * real etcd. Closed at shutdown.
 */
@ApplicationScoped
public class KvClientProducer {
    /** etcd's defaults: advertise-client-urls defaults to listen-client-urls, which defaults to localhost:2379. */
    static String endpoints() {
        var config = ConfigProvider.getConfig();
        return config.getOptionalValue("gantry.advertise-client-urls", String.class)
                .or(() -> config.getOptionalValue("gantry.listen-client-urls", String.class))
                .orElse("http://localhost:2379");
    }

    /**
     * With TLS as this member serves it (the client side's certificate when client certificates are required), as
     * {@code --job-user} once etcd authentication is on.
     */
    @Produces
    @Singleton
    KvClient kvClient(ClientTls tls, JobUser user) {
        return KvClient.connect(endpoints(), tls.clientOptions(), user.user());
    }

    void close(@Disposes KvClient client) {
        client.close();
    }
}
