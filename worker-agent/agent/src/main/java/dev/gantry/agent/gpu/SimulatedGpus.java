package dev.gantry.agent.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.gantry.job.Node;

/**
 * GPUs declared rather than discovered, for test rigs and dry runs: {@code --simulate-gpus 8xH100-80GB}, or
 * several groups, {@code 4xA100-40GB,2xT4-16GB}. The node is marked simulated; the GPUs' UUIDs say so too.
 */
public final class SimulatedGpus {
    private static final Pattern GROUP = Pattern.compile("(\\d{1,3})x([A-Za-z0-9][A-Za-z0-9 ._]*?)(?:-(\\d{1,4})GB)?");

    private SimulatedGpus() {
    }

    public static List<Node.Gpu> parse(String spec, String host) {
        List<Node.Gpu> gpus = new ArrayList<>();
        for (String group : spec.split(",")) {
            Matcher m = GROUP.matcher(group.strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("--simulate-gpus: '" + group.strip()
                        + "' is not COUNTxMODEL[-MEMORYGB], e.g. 8xH100-80GB");
            }
            int count = Integer.parseInt(m.group(1));
            if (count < 1 || gpus.size() + count > 64) {
                throw new IllegalArgumentException("--simulate-gpus: between 1 and 64 GPUs per node, not " + (gpus.size() + count));
            }
            String model = m.group(2).toUpperCase(Locale.ROOT);
            long memoryMiB = m.group(3) != null ? Long.parseLong(m.group(3)) * 1024 : 16 * 1024;
            for (int i = 0; i < count; i++) {
                int index = gpus.size();
                gpus.add(new Node.Gpu(index, "GPU-SIMULATED-" + host + "-" + index, "Simulated NVIDIA " + model
                        + " " + memoryMiB / 1024 + "GB", memoryMiB, 0L, 0, null, null, true));
            }
        }
        return gpus;
    }
}
