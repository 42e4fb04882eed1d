package dev.gantry.kv.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * An etcd user a client connects as (etcdctl's {@code --user}): its name and password. Gantry's commands read the
 * password from a file, never from the command line, where {@code ps} and shell histories would show it; it is
 * never printed ({@link #toString()}).
 */
public record EtcdUser(String name, String password) {
    public EtcdUser {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("the user name is empty");
        }
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("the password of user " + name + " is empty");
        }
    }

    /**
     * The user {@code name} with the password in {@code passwordFile}: its content, less a trailing line break.
     *
     * @param userFlag     the flag that named the user, for messages ({@code --user})
     * @param passwordFlag the flag that named the file ({@code --password-file})
     * @throws IllegalArgumentException naming the flag, for a name given as etcdctl's NAME:PASSWORD, or a file that
     *                                  is missing, unreadable or empty
     */
    public static EtcdUser of(String userFlag, String name, String passwordFlag, Path passwordFile) {
        return new EtcdUser(name(userFlag, name, passwordFlag), read(passwordFlag, passwordFile));
    }

    /**
     * A user name as given on the command line, checked: not empty, and not etcdctl's NAME:PASSWORD.
     *
     * @throws IllegalArgumentException naming the flags
     */
    public static String name(String userFlag, String name, String passwordFlag) {
        if (name.isBlank()) {
            throw new IllegalArgumentException(userFlag + ": the user name is empty");
        }
        if (name.contains(":")) {
            throw new IllegalArgumentException(userFlag + ": give the user's name only; the password goes in " + passwordFlag
                    + " FILE, not on the command line");
        }
        return name;
    }

    /** A password file's content, less a trailing line break ({@code echo secret > FILE} writes one). */
    public static String read(String flag, Path file) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(flag + " " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(flag + " " + file + ": permission denied");
        } catch (IOException e) {
            throw new IllegalArgumentException(flag + " " + file + ": cannot read it (" + e.getMessage() + ")");
        }
        String password = content.endsWith("\r\n") ? content.substring(0, content.length() - 2)
                : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
        if (password.isEmpty()) {
            throw new IllegalArgumentException(flag + " " + file + ": the file is empty; it must hold the password");
        }
        return password;
    }

    @Override
    public String toString() {
        return "EtcdUser[" + name + "]";
    }
}
