package dev.gantry.reliability.jobs.history;

/**
 * A fault of one agent: {@code KILLED} from the SIGKILL of its JVM until it was started again on the same work
 * dir (its task processes live on: they are in sessions of their own), or {@code CUT_OFF} while the firewall
 * dropped everything it sent to the members (it runs on, alone).
 */
public record Outage(String node, Kind kind, long fromNanos, long toNanos) {
    public enum Kind {
        KILLED, CUT_OFF
    }
}
