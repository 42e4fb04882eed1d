package dev.gantry.scheduler.placement;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One node during one scheduling pass: its GPUs, which of them tasks hold, and whether it takes new tasks.
 * {@link #take} marks GPUs held as the pass places tasks, so later decisions in the same pass see them.
 */
public final class NodeCapacity {
    /** Whether a node takes new tasks; cordoned and draining nodes do not (draining ones keep what runs). */
    public enum Availability {
        READY, CORDONED, DRAINING;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final String id;
    private final long lease;
    private final Availability availability;
    /** Its healthy GPUs: an unhealthy one is never free, counted or taken. */
    private final List<GpuSlot> gpus;
    private final Set<String> held;

    public NodeCapacity(String id, long lease, Availability availability, List<GpuSlot> gpus, Set<String> held) {
        this.id = id;
        this.lease = lease;
        this.availability = availability;
        this.gpus = gpus.stream().filter(GpuSlot::healthy).toList();
        this.held = new HashSet<>(held);
    }

    public String id() {
        return id;
    }

    /** The lease the agent's {@code /nodes/<id>} key is attached to: a claim compares it. */
    public long lease() {
        return lease;
    }

    public Availability availability() {
        return availability;
    }

    public boolean ready() {
        return availability == Availability.READY;
    }

    /** Healthy GPUs no task holds. */
    public int free() {
        int free = 0;
        for (GpuSlot gpu : gpus) {
            if (!held.contains(gpu.id())) {
                free++;
            }
        }
        return free;
    }

    /** Healthy GPUs matching the request, held or not: whether the node could ever run it. */
    public int capacityFor(Request request) {
        int n = 0;
        for (GpuSlot gpu : gpus) {
            if (request.matches(gpu)) {
                n++;
            }
        }
        return n;
    }

    /** Healthy GPUs matching the request that no task holds. */
    public int freeFor(Request request) {
        int n = 0;
        for (GpuSlot gpu : gpus) {
            if (!held.contains(gpu.id()) && request.matches(gpu)) {
                n++;
            }
        }
        return n;
    }

    /** Marks and returns the first {@code request.gpus()} free matching GPUs, in the node's order. */
    List<String> take(Request request) {
        List<String> taken = new ArrayList<>(request.gpus());
        for (GpuSlot gpu : gpus) {
            if (taken.size() == request.gpus()) {
                break;
            }
            if (!held.contains(gpu.id()) && request.matches(gpu)) {
                taken.add(gpu.id());
            }
        }
        if (taken.size() < request.gpus()) {
            throw new IllegalStateException("node " + id + " has " + taken.size() + " free GPUs for " + request);
        }
        held.addAll(taken);
        return taken;
    }

    @Override
    public String toString() {
        return id + "(" + availability.label() + ", " + free() + "/" + gpus.size() + " healthy GPUs free)";
    }
}
