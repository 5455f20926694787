package io.gatehouse.cli;

/** Entry point of {@code gatehouse} / {@code java -jar gatehouse-admin-cli.jar}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        int exitCode = GatehouseCommand.newCommandLine(CliEnvironment.system()).execute(args);
        System.exit(exitCode);
    }
}
