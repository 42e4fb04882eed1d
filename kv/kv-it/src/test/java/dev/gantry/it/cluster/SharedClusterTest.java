package dev.gantry.it.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * A test class whose tests share one 3-member cluster (the implementation chosen by {@code -Dit.impl}),
 * started before the first test and closed after the last; each test writes under its own key
 * {@link #prefix}, {@code /<class-name>/<test-method>/}, so tests are independent of each other and of
 * their order. Subclasses name their own {@code @BeforeAll} methods differently from {@link #startCluster}
 * (JUnit would not run a shadowed one).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SharedClusterTest {
    protected Cluster cluster;
    protected String prefix;

    @BeforeAll
    void startCluster() {
        cluster = Cluster.start(3);
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void keyPrefix(TestInfo test) {
        String name = getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase();
        prefix = "/" + name + "/" + test.getTestMethod().orElseThrow().getName() + "/";
    }
}
