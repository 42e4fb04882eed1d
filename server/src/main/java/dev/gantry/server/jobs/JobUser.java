package dev.gantry.server.jobs;

import java.nio.file.Path;
import java.util.Map;

import jakarta.inject.Singleton;

import dev.gantry.kv.client.EtcdUser;
import dev.gantry.server.KvMemberProducer;

/**
 * The etcd user this server's job layer (REST API, scheduler, the embedded agent) connects to its member as:
 * {@code --job-user NAME --job-password-file FILE}, needed once etcd authentication is enabled. Without them it
 * connects with no user, which is all a cluster without auth needs (and, with {@code --client-cert-auth}, the
 * member's certificate names the user). Read once, at start.
 */
@Singleton
public class JobUser {
    private final EtcdUser user;

    JobUser() {
        this.user = parse(KvMemberProducer.flags());
    }

    /** The user, or null for none. */
    public EtcdUser user() {
        return user;
    }

    /**
     * The user the flags name, its password file read; null when neither flag is given.
     *
     * @throws IllegalArgumentException naming the flag: one flag without the other, a name with a password in it, a
     *                                  password file missing, unreadable or empty
     */
    public static EtcdUser parse(Map<String, String> flags) {
        String name = flags.get("job-user");
        String file = flags.get("job-password-file");
        if (name == null && file == null) {
            return null;
        }
        if (name == null) {
            throw new IllegalArgumentException("--job-password-file needs --job-user NAME: the user whose password it holds");
        }
        if (file == null) {
            throw new IllegalArgumentException("--job-user " + name + " needs --job-password-file FILE: the file holding its password");
        }
        return EtcdUser.of("--job-user", name, "--job-password-file", Path.of(file));
    }
}
