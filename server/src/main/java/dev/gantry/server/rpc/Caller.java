package dev.gantry.server.rpc;

import io.grpc.Context;

/**
 * Who makes a gRPC call, as its metadata and connection say: the auth token it sent (etcd's {@code token}
 * metadata, from Authenticate) and the user its TLS client certificate names. Captured by
 * {@link CallerInterceptor} for every call; a service reads it once, on the thread the call arrives on.
 */
record Caller(String token, String certificateUser) {
    static final Context.Key<Caller> KEY = Context.key("gantry-caller");
    private static final Caller NOBODY = new Caller(null, null);

    /** The caller of the call being served on this thread. */
    static Caller current() {
        Caller caller = KEY.get();
        return caller != null ? caller : NOBODY;
    }
}
