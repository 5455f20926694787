import io.gatehouse.cli.CliEnvironment;
import io.gatehouse.cli.GatehouseCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;

/**
 * Writes the bash completion script of {@code gatehouse} to the file named by the only argument. Run by
 * packaging/build-debs.sh as a single-file program (java -cp CLI_JARS GenerateCompletion.java FILE) while
 * the CLI has no {@code generate-completion} subcommand: picocli's own {@code picocli.AutoComplete} main
 * needs a no-argument constructor, and {@link GatehouseCommand} takes its environment.
 */
public final class GenerateCompletion {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: GenerateCompletion FILE");
        }
        // An empty environment: the command tree does not depend on it, and nothing of the build
        // machine's environment ends up in the package.
        var commandLine = GatehouseCommand.newCommandLine(CliEnvironment.of(java.util.Map.of()));
        Files.writeString(Path.of(args[0]), AutoComplete.bash("gatehouse", commandLine));
    }
}
