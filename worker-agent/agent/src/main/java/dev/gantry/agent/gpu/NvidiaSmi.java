package dev.gantry.agent.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import dev.gantry.job.Node;

/**
 * Reads {@code nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]} output into GPUs.
 *
 * <p>Fields are separated by {@code ", "} (names have spaces: never split on whitespace); a header line, if
 * present, names the columns with their units; values may carry units ({@code 81559 MiB}, {@code 100 %},
 * {@code 69.85 W}) and be {@code [N/A]}, {@code N/A} or {@code [Not Supported]}. A GPU whose values say
 * {@code ERR!} or that misses its memory size is reported unhealthy rather than left out, so the node says
 * it has a broken GPU instead of silently having fewer.
 */
public final class NvidiaSmi {
    /** The columns the agent asks for, in order. */
    public static final List<String> COLUMNS = List.of("index", "uuid", "name", "pci.bus_id", "memory.total",
            "memory.used", "utilization.gpu", "temperature.gpu", "power.draw", "driver_version");

    /** The command the agent runs. */
    public static final List<String> COMMAND = List.of("nvidia-smi", "--query-gpu=" + String.join(",", COLUMNS),
            "--format=csv,noheader,nounits");

    private static final Pattern UNIT = Pattern.compile("\\s*(MiB|%|W|MHz)$");
    private static final Map<String, String> FAILURES = Map.of(
            "communicate with the nvidia driver", "the NVIDIA driver is not loaded",
            "failed to initialize nvml", "NVML failed to initialize (driver/library version mismatch?)",
            "no devices were found", "the driver found no GPU (a GPU failed to initialise?)");

    private NvidiaSmi() {
    }

    /** What nvidia-smi printed could not be read as GPUs: why, in a sentence. */
    public static final class Failure extends Exception {
        public Failure(String message) {
            super(message);
        }
    }

    /** Parses output of a query for {@code columns} (query names, as in {@link #COLUMNS}). */
    public static List<Node.Gpu> parse(List<String> columns, String output) throws Failure {
        String lower = output.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        for (Map.Entry<String, String> failure : FAILURES.entrySet()) {
            if (lower.contains(failure.getKey())) {
                throw new Failure("nvidia-smi: " + failure.getValue() + ": " + output.strip().lines().findFirst().orElse(""));
            }
        }
        List<Node.Gpu> gpus = new ArrayList<>();
        int row = 0;
        for (String line : output.split("\\R")) {
            if (line.isBlank() || isHeader(line, columns)) {
                continue;
            }
            String[] fields = line.split(",", -1);
            if (fields.length != columns.size()) {
                throw new Failure("nvidia-smi: expected " + columns.size() + " fields, found " + fields.length
                        + " in line \"" + line.strip() + "\"");
            }
            gpus.add(gpu(columns, fields, row++));
        }
        return gpus;
    }

    private static boolean isHeader(String line, List<String> columns) {
        return line.strip().toLowerCase(Locale.ROOT).startsWith(columns.getFirst().toLowerCase(Locale.ROOT))
                && !Character.isDigit(line.strip().charAt(0));
    }

    private static Node.Gpu gpu(List<String> columns, String[] fields, int row) {
        Row values = new Row(columns, fields);
        Long memoryTotal = values.longValue("memory.total");
        boolean healthy = memoryTotal != null && !values.anyError();
        Integer index = values.intValue("index");
        Double power = values.doubleValue("power.draw");
        return new Node.Gpu(index != null ? index : row, values.text("uuid"), values.text("name"), memoryTotal,
                values.longValue("memory.used"), values.intValue("utilization.gpu"),
                values.intValue("temperature.gpu"), power, healthy);
    }

    /** One line's fields by column name, with units and "not available" markers removed. */
    private record Row(List<String> columns, String[] fields) {
        String text(String column) {
            int i = columns.indexOf(column);
            if (i < 0) {
                return null;
            }
            String value = fields[i].strip();
            if (value.isEmpty() || value.startsWith("[") || value.equals("N/A") || value.equals("ERR!")) {
                return null;
            }
            return UNIT.matcher(value).replaceFirst("");
        }

        boolean anyError() {
            for (String field : fields) {
                if (field.strip().equals("ERR!") || field.contains("GPU requires reset") || field.contains("Unknown Error")) {
                    return true;
                }
            }
            return false;
        }

        Long longValue(String column) {
            Double value = doubleValue(column);
            return value == null ? null : Math.round(value);
        }

        Integer intValue(String column) {
            Double value = doubleValue(column);
            return value == null ? null : (int) Math.round(value);
        }

        Double doubleValue(String column) {
            String text = text(column);
            if (text == null) {
                return null;
            }
            try {
                return Double.parseDouble(text);
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }
}
