package dev.gantry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ArgsTest {
    private static Args parse(String... args) {
        return Args.parse(List.of(args), Set.of("f", "name", "label", "gpus"), Set.of("prefix"));
    }

    @Test
    void readsFlagsInBothFormsRepeatsAndTheCommandAfterDashDash() {
        Args args = parse("-f", "job.yaml", "--name=x", "--label", "a=1", "--label", "b=2", "pos", "--", "echo", "--name", "hi");
        assertThat(args.value("f")).isEqualTo("job.yaml");
        assertThat(args.value("name")).isEqualTo("x");
        assertThat(args.all("label")).containsExactly("a=1", "b=2");
        assertThat(args.positionals()).containsExactly("pos");
        assertThat(args.rest()).containsExactly("echo", "--name", "hi");
        assertThat(args.hasRest()).isTrue();
        assertThat(parse("KEY", "--prefix").has("prefix")).isTrue();
    }

    @Test
    void refusesWhatItDoesNotKnow() {
        assertThatThrownBy(() -> parse("--nope", "1")).isInstanceOf(UsageError.class).hasMessage("unknown flag --nope");
        assertThatThrownBy(() -> parse("--name")).isInstanceOf(UsageError.class).hasMessage("flag --name needs a value");
        assertThatThrownBy(() -> parse("--gpus", "two").integer("gpus")).isInstanceOf(UsageError.class)
                .hasMessage("--gpus must be an integer, not 'two'");
        assertThatThrownBy(() -> parse("a", "b").single("job id")).isInstanceOf(UsageError.class);
    }
}
