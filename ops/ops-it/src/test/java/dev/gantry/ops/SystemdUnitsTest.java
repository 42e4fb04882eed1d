package dev.gantry.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ops/systemd: the units carry the hardening operators expect (a dedicated user, LimitNOFILE=65536, restart on
 * failure, a read-only system with the state directory writable, no new privileges), the agent keeps the GPUs
 * (no PrivateDevices or filters that break CUDA), their environment files define the variables ExecStart uses, and
 * {@code systemd-analyze verify} finds nothing to say about them where it runs.
 */
class SystemdUnitsTest {
    static final String DIR = "ops/systemd";
    private static final List<String> UNITS = List.of("gantry-server.service", "gantry-agent.service", "gantry-backup.service",
            "gantry-backup.timer");

    @TempDir
    Path tmp;

    /** A unit file: section → key → values in order (a key may repeat). */
    static Map<String, Map<String, List<String>>> parse(String file) {
        Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
        Map<String, List<String>> current = null;
        for (String raw : Checkout.read(DIR + "/" + file).lines().toList()) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[")) {
                current = sections.computeIfAbsent(line.substring(1, line.indexOf(']')), s -> new LinkedHashMap<>());
                continue;
            }
            assertThat(current).as("%s: '%s' outside a section", file, line).isNotNull();
            int eq = line.indexOf('=');
            assertThat(eq).as("%s: '%s' is key=value", file, line).isPositive();
            current.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>()).add(line.substring(eq + 1));
        }
        return sections;
    }

    private static String one(Map<String, Map<String, List<String>>> unit, String section, String key) {
        List<String> values = unit.getOrDefault(section, Map.of()).getOrDefault(key, List.of());
        assertThat(values).as("[%s] %s", section, key).hasSize(1);
        return values.getFirst();
    }

    /** KEY=VALUE lines of an environment file. */
    private static Map<String, String> environment(String file) {
        return Checkout.read(DIR + "/" + file).lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1)));
    }

    @Test
    void serverAndAgentAreHardenedServicesOfTheirOwnUsers() {
        Set<String> sysusers = Checkout.read(DIR + "/gantry.sysusers").lines().filter(l -> l.startsWith("u "))
                .map(l -> l.split("\\s+")[1]).collect(Collectors.toSet());
        for (String name : List.of("gantry-server.service", "gantry-agent.service")) {
            var unit = parse(name);
            String user = one(unit, "Service", "User");
            assertThat(user).as(name).isNotEqualTo("root");
            assertThat(sysusers).as("%s's user in gantry.sysusers", name).contains(user);
            assertThat(one(unit, "Service", "LimitNOFILE")).isEqualTo("65536");
            assertThat(one(unit, "Service", "Restart")).isEqualTo("on-failure");
            assertThat(one(unit, "Service", "NoNewPrivileges")).isEqualTo("yes");
            assertThat(one(unit, "Service", "ProtectSystem")).isEqualTo("strict");
            assertThat(one(unit, "Service", "ProtectHome")).isEqualTo("yes");
            assertThat(one(unit, "Service", "CapabilityBoundingSet")).isEmpty();
            String state = "/var/lib/" + one(unit, "Service", "StateDirectory");
            assertThat(one(unit, "Service", "ReadWritePaths")).isEqualTo(state);
            assertThat(one(unit, "Service", "WorkingDirectory")).isEqualTo(state);
            assertThat(one(unit, "Install", "WantedBy")).isEqualTo("multi-user.target");
        }
        var server = parse("gantry-server.service");
        assertThat(one(server, "Service", "PrivateDevices")).isEqualTo("yes");
        assertThat(one(server, "Service", "SuccessExitStatus")).as("the JVM's exit after SIGTERM is a clean stop").isEqualTo("143");
        var agent = parse("gantry-agent.service");
        assertThat(agent.get("Service")).as("the agent's tasks need the GPUs, CUDA and JIT compilers")
                .doesNotContainKeys("PrivateDevices", "DevicePolicy", "DeviceAllow", "MemoryDenyWriteExecute", "SystemCallFilter",
                        "RestrictAddressFamilies");
    }

    @Test
    void environmentFilesDefineWhatExecStartUses() {
        Map<String, String> units = Map.of("gantry-server.service", "gantry-server.env", "gantry-agent.service", "gantry-agent.env",
                "gantry-backup.service", "gantry-backup.env");
        units.forEach((name, envFile) -> {
            var unit = parse(name);
            assertThat(one(unit, "Service", "EnvironmentFile")).isEqualTo("/etc/gantry/" + envFile);
            String exec = one(unit, "Service", "ExecStart");
            assertThat(exec).startsWith("/opt/gantry/");
            String program = exec.split(" ")[0].substring("/opt/gantry/".length());
            assertThat(Checkout.path(program)).as("%s runs %s of this checkout", name, program).isExecutable();
            Map<String, String> env = environment(envFile);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$\\{?([A-Z_]+)}?").matcher(exec);
            int variables = 0;
            while (m.find()) {
                variables++;
                assertThat(env).as("%s defines %s", envFile, m.group(1)).containsKey(m.group(1));
            }
            assertThat(variables).as("%s takes its flags from %s", name, envFile).isPositive();
        });
        assertThat(one(parse("gantry-server.service"), "Service", "ExecStart")).startsWith("/opt/gantry/bin/gantry server ");
        assertThat(environment("gantry-server.env").get("GANTRY_SERVER_FLAGS")).contains("--data-dir /var/lib/gantry/");
    }

    @Test
    void theBackupRunsDaily() {
        var timer = parse("gantry-backup.timer");
        assertThat(one(timer, "Timer", "OnCalendar")).isEqualTo("*-*-* 03:00:00");
        assertThat(one(timer, "Timer", "Persistent")).isEqualTo("true");
        assertThat(one(timer, "Install", "WantedBy")).isEqualTo("timers.target");
        var backup = parse("gantry-backup.service");
        assertThat(one(backup, "Service", "Type")).isEqualTo("oneshot");
        assertThat(one(backup, "Service", "ExecStart")).contains("--dir /var/lib/" + one(backup, "Service", "StateDirectory"));
    }

    /**
     * {@code systemd-analyze verify} on copies of the units whose /opt/gantry paths point at this checkout (it checks
     * that ExecStart's program exists). It exits 0 on unknown keys and bad values, and only says so: any output fails.
     * A unit with a mistake must draw a complaint first, or the check cannot work here and is skipped.
     */
    @Test
    void systemdAnalyzeVerifyHasNothingToSay() throws IOException {
        assumeTrue(Command.onPath("systemd-analyze"), "systemd-analyze is not installed: the units were not verified by systemd");
        Path broken = tmp.resolve("broken-control.service");
        Files.writeString(broken, "[Service]\nExecStart=/bin/true\nNoSuchSetting=yes\n");
        Command.Result control = Command.run(Duration.ofSeconds(60), Map.of(), "systemd-analyze", "verify", broken.toString());
        assumeTrue((control.stdout() + control.stderr()).contains("NoSuchSetting"),
                "systemd-analyze verify does not report a bad unit here, so it cannot check ours: " + control);

        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
        for (String name : UNITS) {
            Path copy = tmp.resolve(name);
            Files.writeString(copy, Checkout.read(DIR + "/" + name).replace("/opt/gantry/", Checkout.root() + "/"));
            command.add(copy.toString());
        }
        Command.Result verify = Command.run(Duration.ofSeconds(60), Map.of(), command);
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.stdout() + verify.stderr()).as(verify.toString()).isEmpty();
    }
}
