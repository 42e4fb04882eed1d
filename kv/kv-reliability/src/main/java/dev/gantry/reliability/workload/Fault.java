package dev.gantry.reliability.workload;

/** What the nemesis does to a member. */
public enum Fault {
    /** SIGKILL, down for 1–3 s, then started again on its data dir. */
    KILL,
    /** SIGSTOP for 2.5–4 s (over twice the 1 s election timeout), then SIGCONT: a frozen process, a slow disk, a GC. */
    PAUSE,
    /** SIGKILL, MemberRemove, its data dir wiped, and a fresh member added (MemberAdd) and started in its place. */
    WIPE_READD
}
