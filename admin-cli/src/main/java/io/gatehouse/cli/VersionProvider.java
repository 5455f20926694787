package io.gatehouse.cli;

import picocli.CommandLine;

import java.util.Optional;

/** {@code --version}: the build from the jar manifest (Implementation-Version). */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Optional.ofNullable(GatehouseCommand.class.getPackage().getImplementationVersion())
                .orElse("development build");
        return new String[] {
                "gatehouse " + version,
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")",
        };
    }
}
