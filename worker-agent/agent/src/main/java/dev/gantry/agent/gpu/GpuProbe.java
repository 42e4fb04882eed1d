package dev.gantry.agent.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.gantry.job.Node;

/**
 * Where a node's GPUs come from: {@code nvidia-smi} on a real host, or a {@code --simulate-gpus} declaration.
 * A host without nvidia-smi is a node with no GPUs (it still runs CPU jobs); nvidia-smi that is there but fails
 * (driver not loaded, ...) is reported, not hidden, and the node keeps the GPUs it last read.
 */
public interface GpuProbe {
    /** The GPUs now. */
    List<Node.Gpu> read() throws NvidiaSmi.Failure;

    /** Whether the GPUs are declared rather than discovered. */
    boolean simulated();

    static GpuProbe simulated(String spec, String host) {
        List<Node.Gpu> gpus = SimulatedGpus.parse(spec, host);
        return new GpuProbe() {
            @Override
            public List<Node.Gpu> read() {
                return gpus;
            }

            @Override
            public boolean simulated() {
                return true;
            }
        };
    }

    /** Runs {@link NvidiaSmi#COMMAND}; no nvidia-smi on PATH means no GPUs. */
    static GpuProbe nvidiaSmi() {
        return new GpuProbe() {
            @Override
            public List<Node.Gpu> read() throws NvidiaSmi.Failure {
                Process process;
                try {
                    process = new ProcessBuilder(NvidiaSmi.COMMAND).redirectErrorStream(true).start();
                } catch (IOException e) {
                    return List.of(); // not installed: a CPU-only host
                }
                try {
                    // A hung driver can make nvidia-smi block for minutes: never let it stall the agent.
                    if (!process.waitFor(20, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                        throw new NvidiaSmi.Failure("nvidia-smi did not answer within 20 s (hung driver?)");
                    }
                    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    if (process.exitValue() != 0 && output.isBlank()) {
                        throw new NvidiaSmi.Failure("nvidia-smi exited with " + process.exitValue());
                    }
                    return NvidiaSmi.parse(NvidiaSmi.COLUMNS, output);
                } catch (IOException e) {
                    throw new NvidiaSmi.Failure("nvidia-smi: " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new NvidiaSmi.Failure("interrupted while reading nvidia-smi");
                }
            }

            @Override
            public boolean simulated() {
                return false;
            }
        };
    }
}
