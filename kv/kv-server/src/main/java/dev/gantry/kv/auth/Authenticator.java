package dev.gantry.kv.auth;

import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.gantry.kv.api.auth.User;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.api.raft.IssueToken;
import dev.gantry.kv.api.raft.RequestAuth;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.EtcdException;
import dev.gantry.kv.mvcc.MvccStore;
import dev.gantry.kv.mvcc.MvccView;

/**
 * Who a request comes from, on one member: Authenticate (password checked here, token issued through Raft), the
 * user behind a request's token, and password hashing before a user's password is proposed. The gRPC edge asks
 * this class; the permission checks themselves are {@link Access}'s.
 */
public final class Authenticator {
    /** How often a request whose token went stale while it waited (auth changed meanwhile) is looked up again. */
    static final int MAX_ATTEMPTS = 10;
    private static final String TOKEN_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    /** etcd's simple tokens have 16 letters; these have 32 (some 180 bits). */
    private static final int TOKEN_LENGTH = 32;
    private static final RequestAuth ANONYMOUS = RequestAuth.getDefaultInstance();

    private final TokenTable tokens;
    private final MvccStore store;
    private final Supplier<CompletableFuture<Void>> caughtUp;
    private final Function<Command, CompletableFuture<CommandResult>> execute;
    private final Executor hashing;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param caughtUp completes once this member has applied every entry committed when it was called (a
     *                 read-index round)
     * @param execute  proposes a command and completes once applied, failing with its etcd error
     * @param hashing  where bcrypt runs: tens of milliseconds of CPU per password
     */
    public Authenticator(TokenTable tokens, MvccStore store, Supplier<CompletableFuture<Void>> caughtUp,
                         Function<Command, CompletableFuture<CommandResult>> execute, Executor hashing) {
        this.tokens = tokens;
        this.store = store;
        this.caughtUp = caughtUp;
        this.execute = execute;
        this.hashing = hashing;
    }

    /**
     * Who a request comes from (etcd's {@code AuthInfoFromCtx}): the user its token was issued to; without a token,
     * the user its client certificate names ({@code certificateUser}, when {@code --client-cert-auth} is on); else
     * nobody, which only auth disabled lets through. A token this member does not know (yet: it may lag the member
     * that issued it) is looked up again after catching up; then it is {@code invalid auth token}.
     */
    public CompletableFuture<RequestAuth> resolve(String token, String certificateUser) {
        if (token == null || token.isEmpty()) {
            return CompletableFuture.completedFuture(certificateUser == null || certificateUser.isEmpty()
                    ? ANONYMOUS
                    : RequestAuth.newBuilder().setUser(certificateUser).setRevision(tokens.revision()).build());
        }
        Optional<RequestAuth> known = tokens.lookup(token);
        if (known.isPresent()) {
            return CompletableFuture.completedFuture(known.get());
        }
        return caughtUp.get().thenApply(ignored -> tokens.lookup(token)
                .orElseThrow(EtcdError.INVALID_AUTH_TOKEN::exception));
    }

    /**
     * Runs {@code call} as the request's user, again (with the token looked up anew) while it fails because auth
     * changed between the lookup and the check, as etcd's clients would on {@code revision of auth store is old}.
     */
    public <T> CompletableFuture<T> as(String token, String certificateUser, Function<RequestAuth, CompletableFuture<T>> call) {
        return attempt(token, certificateUser, call, 1);
    }

    private <T> CompletableFuture<T> attempt(String token, String certificateUser,
                                             Function<RequestAuth, CompletableFuture<T>> call, int attempt) {
        return resolve(token, certificateUser).thenCompose(call).exceptionallyCompose(error -> {
            if (attempt < MAX_ATTEMPTS && isStale(error)) {
                // the change that made it stale is committed: once applied here, the lookup sees its revision
                return caughtUp.get().thenCompose(ignored -> attempt(token, certificateUser, call, attempt + 1));
            }
            return CompletableFuture.failedFuture(error);
        });
    }

    /**
     * etcd's Authenticate: checks the password against this member's store (after catching up), then issues a new
     * token through Raft, so that every member accepts it. Runs again if auth changed in between.
     */
    public CompletableFuture<String> authenticate(String name, String password) {
        return authenticate(name, password, 1);
    }

    private CompletableFuture<String> authenticate(String name, String password, int attempt) {
        return caughtUp.get()
                .thenApplyAsync(ignored -> checkPassword(name, password), hashing)
                .thenCompose(checkedRevision -> {
                    String token = newToken();
                    Command issue = Command.newBuilder().setIssueToken(IssueToken.newBuilder()
                            .setUser(name).setTokenSha256(TokenTable.sha256(token)).setCheckedRevision(checkedRevision)).build();
                    return execute.apply(issue).thenApply(issued -> token);
                })
                .exceptionallyCompose(error -> attempt < MAX_ATTEMPTS && isStale(error)
                        ? authenticate(name, password, attempt + 1)
                        : CompletableFuture.failedFuture(error));
    }

    /** The auth revision the password was checked at (etcd's {@code CheckPassword}). */
    private long checkPassword(String name, String password) {
        record Found(boolean enabled, User user, long revision) {
        }
        Found found = store.read(view -> new Found(view.authEnabled(), view.user(name), view.authRevision()));
        if (!found.enabled()) {
            throw EtcdError.AUTH_NOT_ENABLED.exception();
        }
        if (found.user() == null || found.user().getOptions().getNoPassword()
                || !Passwords.matches(password, found.user().getPassword().toByteArray())) {
            throw EtcdError.AUTH_FAILED.exception();
        }
        return found.revision();
    }

    /** A bcrypt hash of {@code password}, computed off the caller's thread. */
    public CompletableFuture<String> hash(String password) {
        return CompletableFuture.supplyAsync(() -> Passwords.hash(password), hashing);
    }

    /**
     * Runs a permission check ({@link Access}) on this member's store as it is now, on the caller's thread: for what
     * etcd checks at its API layer rather than as an entry is applied (defragment, membership, watch creation).
     */
    public void check(Consumer<MvccView> rule) {
        store.read(view -> {
            rule.accept(view);
            return null;
        });
    }

    private String newToken() {
        StringBuilder token = new StringBuilder(TOKEN_LENGTH);
        for (int i = 0; i < TOKEN_LENGTH; i++) {
            token.append(TOKEN_LETTERS.charAt(random.nextInt(TOKEN_LETTERS.length())));
        }
        return token.toString();
    }

    private static boolean isStale(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof EtcdException etcd && EtcdError.AUTH_OLD_REVISION.is(etcd);
    }
}
