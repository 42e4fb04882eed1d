package dev.gantry.kv.auth;

import com.google.protobuf.ByteString;

/**
 * What an applied Raft entry did to the tokens every member keeps in memory ({@link TokenTable}): a token issued
 * to a user, a user's tokens revoked (deleted, or its password changed), or every token revoked (auth disabled).
 */
public record TokenChange(Kind kind, String user, ByteString tokenSha256) {
    public enum Kind { ISSUED, USER_REVOKED, ALL_REVOKED }

    static TokenChange issued(String user, ByteString tokenSha256) {
        return new TokenChange(Kind.ISSUED, user, tokenSha256);
    }

    static TokenChange userRevoked(String user) {
        return new TokenChange(Kind.USER_REVOKED, user, ByteString.EMPTY);
    }

    static TokenChange allRevoked() {
        return new TokenChange(Kind.ALL_REVOKED, "", ByteString.EMPTY);
    }
}
