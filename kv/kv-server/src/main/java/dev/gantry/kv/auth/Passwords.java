package dev.gantry.kv.auth;

import java.nio.charset.StandardCharsets;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;

/**
 * Password hashes as etcd keeps them: bcrypt, cost 10 (etcd's {@code --bcrypt-cost} default). Hashing happens on
 * the member that takes the request, before anything is proposed, so neither the Raft log nor the store ever
 * holds a password in plain text. Both operations take tens of milliseconds by design: run them off the
 * request threads.
 */
public final class Passwords {
    static final int COST = 10;
    private static final BCrypt.Version VERSION = BCrypt.Version.VERSION_2A;
    /** bcrypt reads at most 72 bytes of a password, as etcd's Go bcrypt did until it began refusing longer ones. */
    private static final BCrypt.Hasher HASHER = BCrypt.with(VERSION, LongPasswordStrategies.truncate(VERSION));
    private static final BCrypt.Verifyer VERIFIER = BCrypt.verifyer(VERSION, LongPasswordStrategies.truncate(VERSION));

    private Passwords() {
    }

    /** A salted bcrypt hash of {@code password}, in the {@code $2a$10$...} form. */
    public static String hash(String password) {
        return new String(HASHER.hash(COST, password.getBytes(StandardCharsets.UTF_8)), StandardCharsets.US_ASCII);
    }

    /** Whether {@code password} matches {@code hash}; false for anything that is not a bcrypt hash. */
    public static boolean matches(String password, byte[] hash) {
        return hash.length > 0 && VERIFIER.verify(password.getBytes(StandardCharsets.UTF_8), hash).verified;
    }
}
