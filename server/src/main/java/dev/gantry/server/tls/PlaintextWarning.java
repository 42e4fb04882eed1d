package dev.gantry.server.tls;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import dev.gantry.kv.cluster.MemberConfig;
import dev.gantry.kv.cluster.Urls;
import dev.gantry.server.KvMemberProducer;
import io.quarkus.runtime.StartupEvent;

/**
 * Says in the log, at start, which listeners are plain http on an address other machines can reach: their traffic
 * (keys, values, Raft entries, API calls) crosses the network unencrypted, and anyone who reaches them is served.
 * Plain http on loopback (the default) is only reachable from this machine and stays quiet.
 */
@Singleton
public class PlaintextWarning {
    private static final Logger LOG = Logger.getLogger(PlaintextWarning.class);

    void onStart(@Observes StartupEvent event) {
        MemberConfig config = MemberConfig.parse(KvMemberProducer.flags());
        warnIfExposed("--listen-client-urls", config.listenClientUrls().getFirst(), "--cert-file and --key-file");
        warnIfExposed("--listen-peer-urls", config.listenPeerUrls().getFirst(), "--peer-cert-file and --peer-key-file");
        if (!config.clientTls().enabled()) {
            String host = ConfigProvider.getConfig().getValue("quarkus.http.host", String.class);
            int port = ConfigProvider.getConfig().getValue("quarkus.http.port", Integer.class);
            warnIfExposed("--listen-http-urls", URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port),
                    "--cert-file and --key-file (it follows the client side)");
        }
    }

    private static void warnIfExposed(String flag, URI url, String remedy) {
        if (exposedInPlaintext(url)) {
            LOG.warnf("%s %s is plain http on an address other machines can reach: its traffic crosses the network "
                    + "unencrypted. Use an https:// URL with %s (docs/operations.md, \"TLS\")", flag, url, remedy);
        }
    }

    /** Plain http on an address that is not loopback (a wildcard address counts: it listens on every interface). */
    static boolean exposedInPlaintext(URI url) {
        return "http".equals(url.getScheme()) && !isLoopback(Urls.host(url));
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
