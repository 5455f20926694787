package io.gatehouse.controlplane.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A PostgreSQL container shared by every {@link TestDatabase} in this JVM, used only when
 * GATEHOUSE_TEST_DB_URL is unset and a Docker engine answers. Kept in its own class so modules
 * without Testcontainers on their test classpath never load it.
 */
final class ContainerPostgres {

    private static PostgreSQLContainer container;

    private ContainerPostgres() {
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Starts the container on first use; it is removed by Testcontainers' reaper at JVM exit. */
    static synchronized TestDatabase.Server server() {
        if (container == null) {
            PostgreSQLContainer c = new PostgreSQLContainer("postgres:16-alpine");
            c.start();
            container = c;
        }
        return new TestDatabase.Server(container.getJdbcUrl(), container.getUsername(), container.getPassword());
    }
}
