package dev.gantry.job;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;

/**
 * Task ids: the spec's name and 5 random base-36 characters ({@code qwen-lora-x7k2p}), as Kubernetes'
 * generateName. 36^5 ≈ 60 million per name; the creating txn's ifAbsent catches the rare clash, and the caller
 * draws again.
 */
public final class TaskIds {
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final RandomGenerator RANDOM = new SecureRandom();

    private TaskIds() {
    }

    public static String generate(String name) {
        StringBuilder id = new StringBuilder(name.length() + 6).append(name).append('-');
        for (int i = 0; i < 5; i++) {
            id.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }
}
