import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;

/**
 * The demo's SQL client, so that a machine with only a JDK runs the demo (no psql): runs each
 * statement in order and prints the first column of every row a query returns, one per line.
 *
 *   java -cp control-plane/target/lib/postgresql-*.jar scripts/demo/Sql.java URL USER PASSWORD_FILE|- SQL...
 *
 * The password is read from a file ("-": none, for trust authentication), never from the command line.
 */
public final class Sql {
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: Sql URL USER PASSWORD_FILE|- SQL...");
            System.exit(2);
        }
        Properties props = new Properties();
        props.setProperty("user", args[1]);
        if (!args[2].equals("-")) {
            props.setProperty("password", Files.readString(Path.of(args[2])).strip());
        }
        props.setProperty("connectTimeout", "5");
        try (Connection c = DriverManager.getConnection(args[0], props); Statement s = c.createStatement()) {
            for (int i = 3; i < args.length; i++) {
                if (s.execute(args[i])) {
                    try (ResultSet rows = s.getResultSet()) {
                        while (rows.next()) {
                            System.out.println(rows.getString(1));
                        }
                    }
                }
            }
        }
    }
}
