package dev.gantry.server.jobs;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import dev.gantry.kv.client.KvClient;
import dev.gantry.scheduler.Scheduler;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Runs this server's scheduler ({@code --scheduler}, default on) with the job layer's {@link KvClient}: started
 * with the server, campaigning for {@code /election/scheduler}; stopped (and resigned, so another replica takes
 * over at once) at shutdown.
 */
@ApplicationScoped
public class SchedulerLifecycle {
    private static final Logger LOG = Logger.getLogger(SchedulerLifecycle.class);

    @Inject
    KvClient client;

    private volatile Scheduler scheduler;

    /** Whether an on|off flag is on; absent is {@code byDefault}. GantryMain has checked the value already. */
    public static boolean on(String flag, boolean byDefault) {
        return ConfigProvider.getConfig().getOptionalValue("gantry." + flag, String.class).map("on"::equals).orElse(byDefault);
    }

    void onStart(@Observes StartupEvent event) {
        if (!on("scheduler", true)) {
            LOG.info("scheduler off (--scheduler=off)");
            return;
        }
        String name = ConfigProvider.getConfig().getOptionalValue("gantry.name", String.class).orElse("default");
        Scheduler.Options options = Scheduler.Options.defaults(name).withElection(on("scheduler-election", true));
        if (!options.elected()) {
            LOG.warn("scheduler runs WITHOUT election (--scheduler-election=off): a test setting, never for production");
        }
        scheduler = Scheduler.start(client, options);
    }

    void onStop(@Observes ShutdownEvent event) {
        Scheduler s = scheduler;
        if (s != null) {
            s.close();
        }
    }

    /** This server's scheduler, if it runs one (for /metrics). */
    public Optional<Scheduler> scheduler() {
        return Optional.ofNullable(scheduler);
    }
}
