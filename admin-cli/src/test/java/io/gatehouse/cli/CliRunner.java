package io.gatehouse.cli;

import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs {@code gatehouse} in-process with captured stdout/stderr and a controlled environment:
 * no GATEHOUSE_CP_ADDRESS (nor ~/.gatehouse/pki) from the real shell leaks into a test. By default
 * the CLI speaks TLS with the test CA's admin certificate ({@link TestPki#shared()}), as the test
 * control planes expect. Shipped in the admin-cli test-jar for the system tests.
 */
public final class CliRunner {

    /** Result of one invocation. */
    public record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }

        /** stdout of a {@code -o json} run as a tree; fails the test unless it exited 0 with JSON. */
        public com.fasterxml.jackson.databind.JsonNode json() {
            if (exitCode != 0) {
                throw new AssertionError("expected exit 0 with JSON, got " + this);
            }
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(out);
            } catch (java.io.IOException e) {
                throw new AssertionError("not JSON: " + this, e);
            }
        }
    }

    private final Map<String, String> env;
    private final Clock clock;

    private CliRunner(Map<String, String> env, Clock clock) {
        this.env = env;
        this.clock = clock;
    }

    /**
     * A CLI whose $GATEHOUSE_CP_ADDRESS is {@code target}, $USER is "tester", and whose
     * $GATEHOUSE_CA/_CERT/_KEY are the test CA and its admin certificate.
     */
    public static CliRunner against(String target) {
        Map<String, String> env = new HashMap<>();
        env.put(CliEnvironment.SERVER_VARIABLE, target);
        env.put("USER", "tester");
        TlsFiles admin = TestPki.shared().admin();
        env.put("GATEHOUSE_CA", admin.trustedCa().toString());
        env.put("GATEHOUSE_CERT", admin.certificate().toString());
        env.put("GATEHOUSE_KEY", admin.privateKey().toString());
        // Never the real ~/.gatehouse/pki.
        env.put("GATEHOUSE_PKI_DIR", TestPki.shared().dir().resolve("no-such-cli-pki").toString());
        return new CliRunner(env, Clock.systemUTC());
    }

    /** Without any GATEHOUSE_CA/_CERT/_KEY: the PKI directory or flags decide. */
    public CliRunner withoutTlsEnvironment() {
        Map<String, String> copy = new HashMap<>(env);
        copy.remove("GATEHOUSE_CA");
        copy.remove("GATEHOUSE_CERT");
        copy.remove("GATEHOUSE_KEY");
        return new CliRunner(copy, clock);
    }

    /** TLS with the test CA but no client certificate, authenticating with {@code token} ($GATEHOUSE_TOKEN). */
    public CliRunner withToken(String token) {
        CliRunner anonymous = withoutTlsEnvironment().withEnv("GATEHOUSE_CA", TestPki.shared().admin().trustedCa().toString());
        return token == null ? anonymous : anonymous.withEnv("GATEHOUSE_TOKEN", token);
    }

    public CliRunner withEnv(String name, String value) {
        Map<String, String> copy = new HashMap<>(env);
        copy.put(name, value);
        return new CliRunner(copy, clock);
    }

    public Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliEnvironment environment = new CliEnvironment(env, clock, () -> "testhost");
        CommandLine cli = GatehouseCommand.newCommandLine(environment);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exitCode = cli.execute(args);
        return new Result(exitCode, out.toString(), err.toString());
    }
}
