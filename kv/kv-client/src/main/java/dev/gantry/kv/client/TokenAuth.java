package dev.gantry.kv.client;

import java.util.concurrent.TimeUnit;

import dev.gantry.kv.api.etcd.AuthGrpc;
import dev.gantry.kv.api.etcd.AuthenticateRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * etcd authentication for a {@link KvClient}, as etcd's own clients do it: Authenticate with the user name and
 * password on first use, send the token with every call, and authenticate again once a member answers
 * {@code invalid auth token} (tokens live in the members' memory: a restarted member has forgotten them, and they
 * expire when unused) or {@code revision of auth store is old}. While a cluster has auth disabled, calls go
 * without a token; {@code user name is empty} (auth enabled since) makes the next call authenticate.
 */
final class TokenAuth implements ClientInterceptor {
    /** etcd's metadata key for the token. */
    static final Metadata.Key<String> TOKEN = Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);
    private static final String INVALID_TOKEN = "etcdserver: invalid auth token";
    private static final String OLD_REVISION = "etcdserver: revision of auth store is old";
    private static final String USER_EMPTY = "etcdserver: user name is empty";
    private static final String NOT_ENABLED = "etcdserver: authentication is not enabled";

    private final String user;
    private final String password;
    /** The token calls carry; null until authenticated (or while auth is disabled). */
    private volatile String token;
    private volatile boolean authDisabled;

    TokenAuth(String user, String password) {
        this.user = user;
        this.password = password;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        if (method.getFullMethodName().equals(AuthGrpc.getAuthenticateMethod().getFullMethodName())) {
            return next.newCall(method, options);
        }
        String sent;
        try {
            sent = token(next);
        } catch (StatusRuntimeException e) {
            return new Refused<>(e.getStatus()); // e.g. a wrong password: the call fails with etcd's error
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                if (sent != null) {
                    headers.put(TOKEN, sent);
                }
                super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        refused(status.getDescription(), sent);
                        super.onClose(status, trailers);
                    }
                }, headers);
            }
        };
    }

    /**
     * Whether a call that failed with {@code e} should be made again: it was refused for a token that is now
     * forgotten, so the next attempt authenticates anew.
     */
    boolean retriesAfter(StatusRuntimeException e) {
        String message = e.getStatus().getDescription();
        return INVALID_TOKEN.equals(message) || OLD_REVISION.equals(message) || USER_EMPTY.equals(message);
    }

    /** A call made with {@code sent} (null: none) closed with {@code reason}: forget a token it was refused for. */
    private void refused(String reason, String sent) {
        if (reason == null) {
            return;
        }
        if (reason.contains(USER_EMPTY)) {
            authDisabled = false;
            token = null;
        } else if ((reason.contains(INVALID_TOKEN) || reason.contains(OLD_REVISION)) && sent != null && sent.equals(token)) {
            token = null; // only the token it was refused for: another call may have authenticated anew meanwhile
        }
    }

    /** A watch was canceled with {@code reason}: if it was for the token, the next stream authenticates anew. */
    void watchCanceled(String reason) {
        refused(reason, token);
    }

    private String token(Channel channel) {
        String current = token;
        if (current != null || authDisabled) {
            return current;
        }
        synchronized (this) {
            if (token == null && !authDisabled) {
                try {
                    token = AuthGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(KvClient.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .authenticate(AuthenticateRequest.newBuilder().setName(user).setPassword(password).build())
                            .getToken();
                } catch (StatusRuntimeException e) {
                    if (!NOT_ENABLED.equals(e.getStatus().getDescription())) {
                        throw e;
                    }
                    authDisabled = true; // as etcd's clients: credentials for a cluster without auth are no error
                }
            }
            return token;
        }
    }

    /** A call that fails at once, without reaching a member. */
    private static final class Refused<Q, R> extends ClientCall<Q, R> {
        private final Status status;

        Refused(Status status) {
            this.status = status;
        }

        @Override
        public void start(Listener<R> listener, Metadata headers) {
            listener.onClose(status, new Metadata());
        }

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void cancel(String message, Throwable cause) {
        }

        @Override
        public void halfClose() {
        }

        @Override
        public void sendMessage(Q message) {
        }
    }
}
