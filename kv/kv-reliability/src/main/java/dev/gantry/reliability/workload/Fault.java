package dev.gantry.reliability.workload;

/** What the nemesis does to a member. */
public enum Fault {
    /** SIGKILL, down for 1–3 s, then started again on its data dir. */
    KILL,
    /** SIGSTOP for 2.5–4 s (over twice the 1 s election timeout), then SIGCONT: a frozen process, a slow disk, a GC. */
    PAUSE,
    /** SIGKILL, MemberRemove, its data dir wiped, and a fresh member added (MemberAdd) and started in its place. */
    WIPE_READD,
    /**
     * For 3–6 s the member and the other members cannot reach each other at all (every port, both ways), while
     * clients still reach all of them: a minority of one that keeps running and serving.
     */
    PARTITION,
    /**
     * For 3–6 s what the member sends on the connections it opened to the other members is dropped, while the
     * connections they opened to it still work both ways: they can reach it, it cannot reach them (a leader's
     * appends stop, a vote asked of it is still answered).
     */
    ONE_WAY_PARTITION;

    /** Whether injecting it takes a {@link Firewall}. */
    public boolean needsFirewall() {
        return this == PARTITION || this == ONE_WAY_PARTITION;
    }
}
