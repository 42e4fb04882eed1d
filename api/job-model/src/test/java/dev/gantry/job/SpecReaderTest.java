package dev.gantry.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.gantry.job.SpecReader.Format;

class SpecReaderTest {
    static final String EXAMPLE = """
            {"name": "qwen-lora", "model": "Qwen/Qwen2.5-7B-Instruct", "datasets": ["AI-ModelScope/alpaca-gpt4-data-en#500"],
             "trainType": "lora", "hyperparameters": {"epochs": 1, "learningRate": 1e-4, "batchSize": 1, "loraRank": 8},
             "resources": {"gpus": 1, "gpuModel": "H100", "minGpuMemoryGiB": 40}, "priority": 50, "maxRetries": 3}
            """;

    @Test
    void readsTheExampleJob() {
        TaskSpec spec = SpecReader.read(EXAMPLE, Format.JSON);
        assertThat(spec.name()).isEqualTo("qwen-lora");
        assertThat(spec.datasets()).containsExactly("AI-ModelScope/alpaca-gpt4-data-en#500");
        assertThat(spec.hyperparameters().learningRate()).isEqualTo(1e-4);
        assertThat(spec.hyperparameters().loraRank()).isEqualTo(8);
        assertThat(spec.resources()).isEqualTo(new TaskSpec.Resources(1, "H100", 40));
    }

    @Test
    void readsYamlToTheSameSpec() {
        String yaml = """
                name: qwen-lora
                model: Qwen/Qwen2.5-7B-Instruct
                datasets:
                  - "AI-ModelScope/alpaca-gpt4-data-en#500"
                trainType: lora
                hyperparameters: {epochs: 1, learningRate: 1.0e-4, batchSize: 1, loraRank: 8}
                resources: {gpus: 1, gpuModel: H100, minGpuMemoryGiB: 40}
                priority: 50
                maxRetries: 3
                """;
        assertThat(SpecReader.read(yaml, Format.YAML)).isEqualTo(SpecReader.read(EXAMPLE, Format.JSON));
    }

    @Test
    void fillsDefaults() {
        TaskSpec swift = SpecReader.read("{\"name\":\"a\",\"model\":\"m\",\"datasets\":[\"d\"],\"trainType\":\"full\"}", Format.JSON);
        assertThat(swift.priority()).isEqualTo(50);
        assertThat(swift.maxRetries()).isEqualTo(3);
        assertThat(swift.resources().gpus()).isEqualTo(1);
        TaskSpec command = SpecReader.read("{\"name\":\"b\",\"command\":[\"echo\",\"hi\"]}", Format.JSON);
        assertThat(command.resources().gpus()).isZero();
        assertThat(command.env()).isEmpty();
    }

    @Test
    void malformedJsonNamesLineAndColumn() {
        InvalidSpec e = invalid("{\n  \"name\": \"a\",\n  \"model\" \"m\"\n}", Format.JSON);
        assertThat(e.getMessage()).startsWith("malformed JSON at line 3, column");
    }

    @Test
    void malformedYamlNamesLine() {
        InvalidSpec e = invalid("name: a\nmodel: \"unterminated\n", Format.YAML);
        assertThat(e.getMessage()).startsWith("malformed YAML at line");
    }

    @Test
    void unknownFieldIsNamedWithItsPath() {
        InvalidSpec top = invalid("{\"name\":\"a\",\"command\":[\"x\"],\"gpu\":2}", Format.JSON);
        assertThat(top.getMessage()).isEqualTo("unknown field 'gpu'");
        assertThat(top.errors()).containsExactly(new FieldError("gpu", "unknown field"));
        InvalidSpec nested = invalid("{\"name\":\"a\",\"command\":[\"x\"],\"resources\":{\"gpuz\":1}}", Format.JSON);
        assertThat(nested.errors()).containsExactly(new FieldError("resources.gpuz", "unknown field"));
    }

    @Test
    void wrongTypesAreNotCoerced() {
        assertThat(invalid("{\"name\":\"a\",\"command\":[\"x\"],\"resources\":{\"gpus\":1.5}}", Format.JSON).errors())
                .containsExactly(new FieldError("resources.gpus", "must be an integer"));
        assertThat(invalid("{\"name\":\"a\",\"command\":[\"x\"],\"priority\":\"9\"}", Format.JSON).errors())
                .containsExactly(new FieldError("priority", "must be an integer"));
        assertThat(invalid("[1,2]", Format.JSON).getMessage()).startsWith("the job must be a JSON object");
    }

    @Test
    void reportsEveryRuleThatFails() {
        InvalidSpec e = invalid("""
                {"name": "Bad_Name", "model": "m", "datasets": [], "trainType": "sft",
                 "resources": {"gpus": -1}, "priority": 1001, "maxRetries": -1,
                 "hyperparameters": {"learningRate": 0, "warmupRatio": 2},
                 "env": {"1X": "v"}, "labels": {"team": "ml ops"}}
                """, Format.JSON);
        assertThat(e.errors()).extracting(FieldError::field).containsExactlyInAnyOrder(
                "name", "datasets", "trainType", "hyperparameters.learningRate", "hyperparameters.warmupRatio",
                "resources.gpus", "priority", "maxRetries", "env.1X", "labels.team");
        assertThat(e.errors()).contains(
                new FieldError("resources.gpus", "must be between 0 and 64"),
                new FieldError("trainType", "must be one of lora, qlora, full, not 'sft'"),
                new FieldError("priority", "must be between 0 and 1000"));
        assertThat(e.getMessage()).isEqualTo("invalid job: 10 problems");
    }

    @Test
    void secretEnvHoldsOnlySecretNames() {
        TaskSpec spec = SpecReader.read("""
                name: pull
                command: [sh, -c, 'test -n "$HF_TOKEN"']
                env: {MODE: fast}
                secretEnv: {HF_TOKEN: hf-token}
                """, Format.YAML);
        assertThat(spec.secretEnv()).containsExactly(Map.entry("HF_TOKEN", "hf-token"));
        assertThat(Json.write(spec)).contains("\"secretEnv\":{\"HF_TOKEN\":\"hf-token\"}");
        assertThat(SpecReader.read("{\"name\":\"b\",\"command\":[\"x\"]}", Format.JSON).secretEnv()).isEmpty();
    }

    @Test
    void secretEnvNamesAreCheckedAndNeverAlsoPlain() {
        InvalidSpec e = invalid("""
                {"name": "a", "command": ["x"], "env": {"TOKEN": "plain"},
                 "secretEnv": {"TOKEN": "tok", "1BAD": "tok", "KEY": "Not_A_Name", "EMPTY": ""}}
                """, Format.JSON);
        assertThat(e.errors()).containsExactlyInAnyOrder(
                new FieldError("secretEnv.TOKEN", "is also set in env; a variable is either plain or secret"),
                new FieldError("secretEnv.1BAD", "is not a valid environment variable name (letters, digits, '_'; not starting with a digit)"),
                new FieldError("secretEnv.KEY", "must name a secret: " + Secret.NAME_RULE),
                new FieldError("secretEnv.EMPTY", "must name a secret: " + Secret.NAME_RULE));
    }

    @Test
    void commandExcludesSwiftFields() {
        assertThat(invalid("{\"name\":\"a\",\"command\":[\"x\"],\"model\":\"m\"}", Format.JSON).errors())
                .extracting(FieldError::field).containsExactly("command");
        assertThat(invalid("{\"name\":\"a\",\"command\":[]}", Format.JSON).errors())
                .containsExactly(new FieldError("command", "must name a program to run"));
        assertThat(invalid("{\"name\":\"a\"}", Format.JSON).errors()).extracting(FieldError::field)
                .containsExactly("model", "datasets", "trainType");
    }

    @Test
    void labelKeysFollowKubernetes() {
        assertThat(SpecValidator.validLabelKey("team")).isTrue();
        assertThat(SpecValidator.validLabelKey("gantry.dev/team")).isTrue();
        assertThat(SpecValidator.validLabelKey("-team")).isFalse();
        assertThat(SpecValidator.validLabelKey("a/b/c")).isFalse();
        assertThat(SpecValidator.validLabelKey("x".repeat(64))).isFalse();
    }

    @Test
    void emptyBodiesAreRefused() {
        assertThat(invalid("  ", Format.JSON).getMessage()).isEqualTo("the job is empty");
        assertThat(invalid("", Format.YAML).errors()).isEqualTo(List.of());
    }

    private static InvalidSpec invalid(String text, Format format) {
        InvalidSpec e = catchThrowableOfType(InvalidSpec.class, () -> SpecReader.read(text, format));
        assertThat(e).as("refused: " + text).isNotNull();
        return e;
    }
}
