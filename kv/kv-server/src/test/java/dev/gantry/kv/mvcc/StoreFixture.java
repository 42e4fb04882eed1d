package dev.gantry.kv.mvcc;

import java.nio.file.Path;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A real store in a temporary directory, opened before each test and closed after it; one Raft entry per write. */
public abstract class StoreFixture {
    @TempDir
    protected Path dir;
    protected MvccStore store;
    /** The Raft index of the last entry written through {@link #entry}. */
    protected long index;

    @BeforeEach
    void openStore() {
        store = MvccStore.open(storeDir());
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    /** Where the store lives. */
    protected Path storeDir() {
        return dir.resolve("kv");
    }

    /** Closes the store and opens it again from its directory, as a restart does. */
    protected void reopen() {
        store.close();
        store = MvccStore.open(storeDir());
    }

    /** Applies {@code op} as the next Raft entry (term 1). */
    protected <T> T entry(Function<MvccView, T> op) {
        return store.write(1, ++index, op);
    }
}
