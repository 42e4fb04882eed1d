package dev.gantry.reliability.fuzz;

import java.util.Random;

/** Random JSON documents (and, sometimes, almost-JSON) for HTTP endpoints. */
public final class JsonFuzzer {

    private final Random random;

    public JsonFuzzer(Random random) {
        this.random = random;
    }

    public String document() {
        String json = value(0);
        if (random.nextInt(5) == 0 && json.length() > 1) {
            return json.substring(0, random.nextInt(json.length())); // cut short: not JSON at all
        }
        return json;
    }

    private String value(int depth) {
        int kind = depth > 3 ? random.nextInt(4) : random.nextInt(6);
        return switch (kind) {
            case 0 -> Long.toString(random.nextLong());
            case 1 -> random.nextBoolean() ? "true" : "null";
            case 2 -> string();
            case 3 -> Double.toString(random.nextDouble() * 1e300);
            case 4 -> {
                StringBuilder s = new StringBuilder("[");
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    s.append(i > 0 ? "," : "").append(value(depth + 1));
                }
                yield s.append(']').toString();
            }
            default -> {
                StringBuilder s = new StringBuilder("{");
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    s.append(i > 0 ? "," : "").append(string()).append(':').append(value(depth + 1));
                }
                yield s.append('}').toString();
            }
        };
    }

    private String string() {
        String[] words = {"key", "value", "name", "ttl", "id", "", "\\u0000", "\\ud800", "é", "../../etc"};
        return "\"" + words[random.nextInt(words.length)] + (random.nextBoolean() ? random.nextInt(1000) : "") + "\"";
    }
}
