package dev.gantry.agent.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.gantry.job.Node;

/** The parser on outputs recorded on real hosts (../shared/fixtures/nvidia-smi-samples.md) and on broken ones. */
class NvidiaSmiTest {
    @Test
    void eightH100sWithAHeaderAndUnits() throws Exception {
        String s1 = """
                name, memory.total [MiB]
                NVIDIA H100 80GB HBM3, 81559 MiB
                NVIDIA H100 80GB HBM3, 81559 MiB
                NVIDIA H100 80GB HBM3, 81559 MiB
                NVIDIA H100 80GB HBM3, 81559 MiB
                NVIDIA H100 80GB HBM3, 81559 MiB
                NVIDIA H100 80GB HBM3, 81559 MiB
                NVIDIA H100 80GB HBM3, 81559 MiB
                NVIDIA H100 80GB HBM3, 81559 MiB
                """;
        List<Node.Gpu> gpus = NvidiaSmi.parse(List.of("name", "memory.total"), s1);
        assertThat(gpus).hasSize(8).allSatisfy(gpu -> {
            assertThat(gpu.name()).isEqualTo("NVIDIA H100 80GB HBM3");
            assertThat(gpu.memoryTotalMiB()).isEqualTo(81559);
            assertThat(gpu.healthy()).isTrue();
        });
        assertThat(gpus).extracting(Node.Gpu::index).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    }

    @Test
    void h100WithMigOnHasNoUtilisationButIsHealthy() throws Exception {
        List<String> columns = List.of("index", "name", "uuid", "memory.total", "memory.used", "utilization.gpu",
                "temperature.gpu", "power.draw", "mig.mode.current", "fan.speed", "pstate");
        String s7 = """
                index, name, uuid, memory.total [MiB], memory.used [MiB], utilization.gpu [%], temperature.gpu, power.draw [W], mig.mode.current, fan.speed [%], pstate
                0, NVIDIA H100 80GB HBM3, GPU-00000000-0000-0000-0000-000000000000, 81559 MiB, 19818 MiB, 100 %, 59, 631.95 W, Disabled, [N/A], P0
                0, NVIDIA H100 80GB HBM3, GPU-00000000-0000-0000-0000-000000000000, 81559 MiB, 11125 MiB, [N/A], 53, 433.78 W, Enabled, [N/A], P0
                """;
        List<Node.Gpu> gpus = NvidiaSmi.parse(columns, s7);
        assertThat(gpus.get(0)).isEqualTo(new Node.Gpu(0, "GPU-00000000-0000-0000-0000-000000000000",
                "NVIDIA H100 80GB HBM3", 81559L, 19818L, 100, 59, 631.95, true));
        assertThat(gpus.get(1).utilizationPercent()).isNull();
        assertThat(gpus.get(1).healthy()).isTrue();
    }

    @Test
    void theAgentsOwnQueryWithoutHeaderOrUnits() throws Exception {
        String output = """
                0, GPU-d0180485-9584-433c-6782-c335d5df2cb3, NVIDIA A100-SXM4-40GB, 00000000:07:00.0, 40960, 39000, 97, 61, 310.52, 535.129.03
                1, GPU-777ead31-954e-837f-590f-6c4974d8e571, NVIDIA A100-SXM4-40GB, 00000000:0F:00.0, 40960, 3, 0, 33, [N/A], 535.129.03
                """;
        List<Node.Gpu> gpus = NvidiaSmi.parse(NvidiaSmi.COLUMNS, output);
        assertThat(gpus).extracting(Node.Gpu::memoryUsedMiB).containsExactly(39000L, 3L);
        assertThat(gpus.get(1).powerW()).isNull();
    }

    @Test
    void oldDriversUnbracketedNotAvailableAndANameWithSpaces() throws Exception {
        // S10's columns, reduced to those the parser reads; the name has spaces (splitting on whitespace shifts every column)
        List<String> columns = List.of("memory.total", "driver_version", "name", "uuid", "power.draw", "temperature.gpu",
                "temperature.memory", "utilization.gpu");
        List<Node.Gpu> gpus = NvidiaSmi.parse(columns,
                "7979, 440.64, GeForce RTX 2080, GPU-22b2c6ac-2d49-4863-197c-9c469071178a, 176.98, 45, N/A, 86\n");
        assertThat(gpus).singleElement().satisfies(gpu -> {
            assertThat(gpu.name()).isEqualTo("GeForce RTX 2080");
            assertThat(gpu.temperatureC()).isEqualTo(45);
            assertThat(gpu.utilizationPercent()).isEqualTo(86);
        });
    }

    @Test
    void aGpuInErrorIsReportedUnhealthy() throws Exception {
        List<Node.Gpu> gpus = NvidiaSmi.parse(NvidiaSmi.COLUMNS,
                "0, GPU-1, NVIDIA H100 80GB HBM3, 00000000:07:00.0, 81559, ERR!, ERR!, ERR!, ERR!, 550.54.15\n");
        assertThat(gpus).singleElement().extracting(Node.Gpu::healthy).isEqualTo(false);
    }

    @Test
    void driverFailuresAndMalformedOutputAreSentences() {
        assertThatThrownBy(() -> NvidiaSmi.parse(NvidiaSmi.COLUMNS, """
                NVIDIA-SMI has failed because it couldn‘t communicate with the NVIDIA driver.
                Make sure that the latest NVIDIA driver is installed and running.
                """)).isInstanceOf(NvidiaSmi.Failure.class).hasMessageContaining("driver is not loaded");
        assertThatThrownBy(() -> NvidiaSmi.parse(NvidiaSmi.COLUMNS, "No devices were found  \n"))
                .hasMessageContaining("found no GPU");
        assertThatThrownBy(() -> NvidiaSmi.parse(NvidiaSmi.COLUMNS, "0, GPU-1, NVIDIA H100\n"))
                .hasMessageContaining("expected 10 fields, found 3");
    }

    @Test
    void simulatedGpusMatchWhatTheyClaim() {
        List<Node.Gpu> gpus = SimulatedGpus.parse("8xH100-80GB, 2xT4-16GB", "rig1");
        assertThat(gpus).hasSize(10);
        assertThat(gpus.getFirst().name()).isEqualTo("Simulated NVIDIA H100 80GB");
        assertThat(gpus.getFirst().memoryTotalMiB()).isEqualTo(80 * 1024);
        assertThat(gpus.getLast().uuid()).isEqualTo("GPU-SIMULATED-rig1-9");
        assertThatThrownBy(() -> SimulatedGpus.parse("eightxH100", "rig1")).hasMessageContaining("COUNTxMODEL");
        assertThatThrownBy(() -> SimulatedGpus.parse("65xH100", "rig1")).hasMessageContaining("between 1 and 64");
    }
}
