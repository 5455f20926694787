package io.gatehouse.cli;

import io.gatehouse.config.IpLiterals;
import io.gatehouse.pki.CertificateIssuer;
import io.gatehouse.pki.SpiffeId;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code gatehouse certs issue control-plane|data-plane|admin|server}: issues a certificate and a fresh
 * key from the CA in the PKI directory. Issuing over existing files is how a certificate is
 * rotated: the processes using them reload the files by themselves. {@code server} makes an edge
 * certificate for the data planes' HTTPS listener (stored as secrets, not files the planes read).
 */
@Command(name = "issue", description = "Issue a certificate (and a new key) from the CA in --pki-dir.",
        subcommands = {
                CertsIssueCommand.ControlPlane.class,
                CertsIssueCommand.DataPlane.class,
                CertsIssueCommand.Admin.class,
                CertsIssueCommand.Server.class,
        })
final class CertsIssueCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: control-plane, data-plane, admin or server");
    }

    /** What every role's subcommand shares: lifetime, output file, issuing and writing. */
    abstract static class Role extends ControlPlaneCommand {

        @Option(names = "--days", paramLabel = "N", defaultValue = "90",
                description = "Lifetime in days (default ${DEFAULT-VALUE}; short on purpose: rotate routinely).")
        int days;

        @Option(names = "--out", paramLabel = "FILE",
                description = "Certificate file to write (its key goes next to it as NAME-key.pem);"
                        + " default <pki-dir>/<name>.pem.")
        Path out;

        abstract SpiffeId identity();

        /** File name (without .pem) in the PKI directory when --out is not given. */
        abstract String defaultName();

        List<String> dnsNames() {
            return List.of();
        }

        List<InetAddress> ipAddresses() {
            return List.of();
        }

        @Override
        protected int run(Output output) {
            if (days < 1) {
                throw usageError("--days must be at least 1");
            }
            Clock clock = root().environment().clock();
            Path dir = root().pkiDir();
            CertificateIssuer.IssuedCertificate issued = issue(Pki.loadCa(dir, clock), Duration.ofDays(days));
            Pki.write(issued, out != null ? out : dir.resolve(defaultName() + ".pem"), output, clock);
            return ExitCodes.OK;
        }

        /** A certificate for this role's identity. */
        CertificateIssuer.IssuedCertificate issue(CertificateIssuer ca, Duration lifetime) {
            SpiffeId identity;
            try {
                identity = identity();
            } catch (IllegalArgumentException e) {
                throw usageError(e.getMessage());
            }
            return ca.issue(ca.request(identity, dnsNames(), ipAddresses(), lifetime));
        }

        /** IP literals only: a name here would be resolved, and certify whatever DNS said today. */
        List<InetAddress> parseIps(List<String> ips) {
            List<InetAddress> addresses = new ArrayList<>();
            for (String ip : ips) {
                addresses.add(IpLiterals.parse(ip).orElseThrow(() ->
                        usageError("--ip '" + ip + "' is not an IP address (use --dns for names)")));
            }
            return addresses;
        }
    }

    @Command(name = "control-plane", description = "A control plane's server certificate (all replicas may share"
            + " it): the names data planes and admins dial it by, and spiffe://gatehouse/cp/NAME.")
    static final class ControlPlane extends Role {

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "control-plane",
                description = "Name in the identity and default file name (default ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--dns", paramLabel = "HOST", description = "A DNS name clients dial it by (repeatable).")
        List<String> dns = new ArrayList<>();

        @Option(names = "--ip", paramLabel = "ADDR", description = "An IP address clients dial it by (repeatable).")
        List<String> ips = new ArrayList<>();

        @Override
        SpiffeId identity() {
            if (dns.isEmpty() && ips.isEmpty()) {
                throw new IllegalArgumentException("give at least one --dns or --ip: clients check that the"
                        + " certificate names the address they dial (e.g. --dns localhost --ip 127.0.0.1)");
            }
            return SpiffeId.controlPlane(name);
        }

        @Override
        String defaultName() {
            return name;
        }

        @Override
        List<String> dnsNames() {
            return dns;
        }

        @Override
        List<InetAddress> ipAddresses() {
            return parseIps(ips);
        }
    }

    @Command(name = "data-plane", description = "A data plane's client certificate: spiffe://gatehouse/dp/REGION/NODE"
            + " (or dp/REGION with --any-node). The control plane refuses a data plane reporting another node or region.")
    static final class DataPlane extends Role {

        @Option(names = "--node", paramLabel = "ID", description = "The data plane's node id (e.g. dp-us-1).")
        String node;

        @Option(names = "--any-node", description = "Any node id in the region (for replicas whose ids are not known"
                + " in advance, e.g. Kubernetes pod names); weaker: such a data plane can pose as another of its region.")
        boolean anyNode;

        @Option(names = "--region", paramLabel = "REGION", required = true, description = "The region it serves.")
        String region;

        @Override
        SpiffeId identity() {
            if ((node == null) == !anyNode) {
                throw new IllegalArgumentException("give either --node ID or --any-node");
            }
            return anyNode ? SpiffeId.anyDataPlaneOf(region) : SpiffeId.dataPlane(region, node);
        }

        @Override
        String defaultName() {
            return anyNode ? "dp-" + region : node;
        }
    }

    @Command(name = "admin", description = "An operator's (or a tool's) client certificate for the admin API:"
            + " spiffe://gatehouse/admin/NAME.")
    static final class Admin extends Role {

        @Option(names = "--name", paramLabel = "NAME", required = true, description = "Who it is for (e.g. alice, ci).")
        String name;

        @Override
        SpiffeId identity() {
            return SpiffeId.admin(name);
        }

        @Override
        String defaultName() {
            return "admin-" + name;
        }
    }

    @Command(name = "server", description = "An edge server certificate for the data planes' HTTPS listener (config"
            + " certificates[]): the host names clients connect to (*.example.com allowed), serverAuth, no Gatehouse"
            + " identity. Store it with `gatehouse secrets set NAME-cert --from-file FILE` and the key likewise.")
    static final class Server extends Role {

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "edge",
                description = "Default file name (default ${DEFAULT-VALUE}: edge.pem, edge-key.pem).")
        String name;

        @Option(names = "--dns", paramLabel = "HOST", description = "A host name it serves (repeatable).")
        List<String> dns = new ArrayList<>();

        @Option(names = "--ip", paramLabel = "ADDR", description = "An IP address it serves (repeatable).")
        List<String> ips = new ArrayList<>();

        @Override
        SpiffeId identity() {
            throw new UnsupportedOperationException("edge certificates carry no Gatehouse identity");
        }

        @Override
        CertificateIssuer.IssuedCertificate issue(CertificateIssuer ca, Duration lifetime) {
            if (dns.isEmpty() && ips.isEmpty()) {
                throw usageError("give at least one --dns (or --ip): clients check that the certificate names the"
                        + " host they connect to (e.g. --dns api.example.com --dns '*.example.com')");
            }
            return ca.issueServer(dns, parseIps(ips), lifetime);
        }

        @Override
        String defaultName() {
            return name;
        }
    }
}
