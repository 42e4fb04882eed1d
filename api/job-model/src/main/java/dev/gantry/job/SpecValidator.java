package dev.gantry.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks a {@link TaskSpec} and returns every problem at once, each with its JSON path. */
public final class SpecValidator {
    public static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** Kubernetes label keys: an optional DNS-subdomain prefix and '/', then a name of up to 63 characters. */
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)");
    private static final Pattern LABEL_PREFIX = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("(" + LABEL_NAME.pattern() + ")?");
    public static final int MAX_GPUS = 64;

    private final List<FieldError> errors = new ArrayList<>();

    private SpecValidator() {
    }

    public static List<FieldError> validate(TaskSpec spec) {
        SpecValidator v = new SpecValidator();
        v.check(spec);
        return List.copyOf(v.errors);
    }

    private void check(TaskSpec s) {
        if (s.name() == null || s.name().isEmpty()) {
            error("name", "is required");
        } else if (!NAME.matcher(s.name()).matches()) {
            error("name", "must be lower-case letters, digits and '-', start and end with a letter or digit, at most 63 characters");
        }
        if (s.command() != null) {
            checkCommand(s);
        } else {
            checkSwift(s);
        }
        if (s.resources() != null) {
            TaskSpec.Resources r = s.resources();
            range("resources.gpus", r.gpus(), 0, MAX_GPUS);
            if (r.gpuModel() != null && (r.gpuModel().isBlank() || r.gpuModel().length() > 64)) {
                error("resources.gpuModel", "must be 1 to 64 characters (a part of the GPU's name, e.g. H100)");
            }
            range("resources.minGpuMemoryGiB", r.minGpuMemoryGiB(), 1, 4096);
            if (s.gpus() == 0 && (r.gpuModel() != null || r.minGpuMemoryGiB() != null)) {
                error("resources.gpus", "is 0, so gpuModel and minGpuMemoryGiB cannot apply");
            }
        }
        range("priority", s.priority(), 0, 1000);
        range("maxRetries", s.maxRetries(), 0, 100);
        checkEnv(s.env());
        checkSecretEnv(s.secretEnv(), s.env());
        checkLabels(s.labels());
    }

    private void checkCommand(TaskSpec s) {
        if (s.model() != null || s.datasets() != null || s.trainType() != null || s.hyperparameters() != null) {
            error("command", "a job gives either command or the ms-swift fields (model, datasets, trainType, hyperparameters), not both");
        }
        if (s.command().isEmpty() || s.command().get(0) == null || s.command().get(0).isBlank()) {
            error("command", "must name a program to run");
        }
        for (int i = 0; i < s.command().size(); i++) {
            if (s.command().get(i) == null) {
                error("command[" + i + "]", "must be a string");
            }
        }
    }

    private void checkSwift(TaskSpec s) {
        if (s.model() == null || s.model().isBlank()) {
            error("model", "is required (or give a command)");
        } else if (s.model().length() > 256 || s.model().chars().anyMatch(Character::isWhitespace)) {
            error("model", "must be a model id or path without spaces, at most 256 characters");
        }
        if (s.datasets() == null || s.datasets().isEmpty()) {
            error("datasets", "needs at least one dataset (or give a command)");
        } else {
            for (int i = 0; i < s.datasets().size(); i++) {
                String d = s.datasets().get(i);
                if (d == null || d.isBlank() || d.chars().anyMatch(Character::isWhitespace)) {
                    error("datasets[" + i + "]", "must be a dataset id or path without spaces");
                }
            }
        }
        if (s.trainType() == null) {
            error("trainType", "is required: one of " + String.join(", ", TaskSpec.TRAIN_TYPES));
        } else if (!TaskSpec.TRAIN_TYPES.contains(s.trainType())) {
            error("trainType", "must be one of " + String.join(", ", TaskSpec.TRAIN_TYPES) + ", not '" + s.trainType() + "'");
        }
        TaskSpec.Hyperparameters h = s.hyperparameters();
        if (h != null) {
            range("hyperparameters.epochs", h.epochs(), 1, 1000);
            if (h.learningRate() != null && !(h.learningRate() > 0 && h.learningRate() <= 1)) {
                error("hyperparameters.learningRate", "must be above 0 and at most 1");
            }
            range("hyperparameters.batchSize", h.batchSize(), 1, 4096);
            range("hyperparameters.gradientAccumulationSteps", h.gradientAccumulationSteps(), 1, 4096);
            range("hyperparameters.loraRank", h.loraRank(), 1, 1024);
            range("hyperparameters.loraAlpha", h.loraAlpha(), 1, 4096);
            range("hyperparameters.maxLength", h.maxLength(), 1, 1 << 20);
            if (h.warmupRatio() != null && !(h.warmupRatio() >= 0 && h.warmupRatio() <= 1)) {
                error("hyperparameters.warmupRatio", "must be between 0 and 1");
            }
            range("hyperparameters.saveSteps", h.saveSteps(), 1, Integer.MAX_VALUE);
            range("hyperparameters.evalSteps", h.evalSteps(), 1, Integer.MAX_VALUE);
            if ("full".equals(s.trainType()) && (h.loraRank() != null || h.loraAlpha() != null)) {
                error("hyperparameters.loraRank", "applies to lora and qlora, not to trainType full");
            }
        }
    }

    private void checkEnv(Map<String, String> env) {
        if (env == null) {
            return;
        }
        env.forEach((k, v) -> {
            if (!ENV_NAME.matcher(k).matches()) {
                error("env." + k, "is not a valid environment variable name (letters, digits, '_'; not starting with a digit)");
            } else if (v == null) {
                error("env." + k, "must be a string");
            }
        });
    }

    /** Each variable names a secret; a variable is either plain ({@code env}) or secret, never both. */
    private void checkSecretEnv(Map<String, String> secretEnv, Map<String, String> env) {
        if (secretEnv == null) {
            return;
        }
        secretEnv.forEach((k, v) -> {
            if (!ENV_NAME.matcher(k).matches()) {
                error("secretEnv." + k, "is not a valid environment variable name (letters, digits, '_'; not starting with a digit)");
            } else if (v == null || !Secret.validName(v)) {
                error("secretEnv." + k, "must name a secret: " + Secret.NAME_RULE);
            } else if (env != null && env.containsKey(k)) {
                error("secretEnv." + k, "is also set in env; a variable is either plain or secret");
            }
        });
    }

    private void checkLabels(Map<String, String> labels) {
        if (labels == null) {
            return;
        }
        labels.forEach((k, v) -> {
            if (!validLabelKey(k)) {
                error("labels." + k, "is not a valid label key ([prefix/]name: name of at most 63 letters, digits, '-', '_', '.')");
            } else if (v == null || !LABEL_VALUE.matcher(v).matches()) {
                error("labels." + k, "must be at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit");
            }
        });
    }

    /** Kubernetes' rule for label keys. */
    public static boolean validLabelKey(String key) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        boolean prefixOk = slash < 0 || LABEL_PREFIX.matcher(key.substring(0, slash)).matches();
        return prefixOk && LABEL_NAME.matcher(name).matches();
    }

    private void range(String field, Integer value, int min, int max) {
        if (value != null && (value < min || value > max)) {
            error(field, max == Integer.MAX_VALUE ? "must be at least " + min : "must be between " + min + " and " + max);
        }
    }

    private void error(String field, String message) {
        errors.add(new FieldError(field, message));
    }
}
