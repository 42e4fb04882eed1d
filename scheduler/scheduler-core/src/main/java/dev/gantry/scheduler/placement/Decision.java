package dev.gantry.scheduler.placement;

import java.util.List;

/** Where placement put a task, or why it could not. */
public sealed interface Decision {
    /** Placed on {@code node}, holding {@code gpus} (GPU ids). */
    record Placed(NodeCapacity node, List<String> gpus) implements Decision {
    }

    /** Stays pending; {@code reason} is the human text written on the task. */
    record Waiting(String reason) implements Decision {
    }
}
